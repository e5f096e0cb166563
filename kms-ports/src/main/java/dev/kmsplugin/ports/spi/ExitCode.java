package dev.kmsplugin.ports.spi;

import dev.kmsplugin.domain.failure.KmsException;

/**
 * How a run of {@code kms-plugin} ends, with one meaning for every command (serving included): the one list of exit
 * codes, rendered into {@code --help} and docs/operations.md, and the one mapping from the domain's errors to them.
 */
public enum ExitCode {
    OK(0, "success"),
    FAILED(1, "failed at run time; the message says what failed"),
    USAGE(2, "bad command line or configuration; the message names the flag or setting"),
    UNREACHABLE(3, "the plugin could not be reached on its socket"),
    NOT_FOUND(4, "the key, key version or token does not exist"),
    FORBIDDEN(5, "the identity may not do this; the message names the permission"),
    REFUSED(6, "refused, to protect stored data; the message says what still needs it");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The process's exit status. */
    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /** The exit code of a run that ended with {@code failure}. */
    public static ExitCode of(KmsException failure) {
        return switch (failure.kind()) {
            case MISCONFIGURED, INVALID_INPUT -> USAGE;
            case UNKNOWN_KEY_VERSION -> NOT_FOUND;
            case ACCESS_DENIED -> FORBIDDEN;
            case BACKEND_UNAVAILABLE, THROTTLED, DEADLINE_EXCEEDED, INTEGRITY_FAILURE -> FAILED;
        };
    }

    /** Every code and its meaning, one per line, as {@code --help} prints them. */
    public static String table() {
        StringBuilder text = new StringBuilder();
        for (ExitCode exit : values()) {
            text.append("  ").append(exit.code).append("  ").append(exit.meaning).append('\n');
        }
        return text.toString();
    }
}
