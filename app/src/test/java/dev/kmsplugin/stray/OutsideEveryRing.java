package dev.kmsplugin.stray;

/** Deliberate violation for the architecture tests: a class in no ring of the design. Never used. */
public final class OutsideEveryRing {
}
