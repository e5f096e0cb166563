package dev.kmsplugin.app.cli;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads Go duration syntax ({@code 20s}, {@code 1m30s}, {@code 1.5h}, {@code 250ms}) for flags the Go plugin had. */
final class GoDuration {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");
    private static final Pattern HOCON = Pattern.compile("\\d+\\s*[a-z]+");

    private GoDuration() {
    }

    /** The duration as a HOCON value in nanoseconds, or empty when {@code text} is not a duration. */
    static Optional<String> toHocon(String text) {
        String value = text.trim();
        if (value.equals("0")) {
            return Optional.of("0ns");
        }
        Matcher part = PART.matcher(value);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            nanos = nanos.add(new BigDecimal(part.group(1)).multiply(BigDecimal.valueOf(unitNanos(part.group(2)))));
            end = part.end();
        }
        if (end == value.length() && end > 0) {
            return Optional.of(nanos.toBigInteger() + "ns");
        }
        // Already in HOCON's own form ("20 seconds")
        return HOCON.matcher(value).matches() ? Optional.of(value) : Optional.empty();
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException(unit);
        };
    }
}
