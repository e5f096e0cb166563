package dev.kmsplugin.app;

/** Entry point of {@code bin/kms-plugin}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        int code = new Launcher(System.in, System.out, System.err, System.getenv()).run(args);
        System.exit(code);
    }
}
