package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One version of the key-encryption key, stored in the token as an AES-256 secret key object labelled
 * {@code <key name>/v<number>/<creation instant>}, e.g. {@code kek/v2/2026-11-28T10:15:00Z}. The label is the only
 * metadata: the token is the single source of truth, shared safely between the server and {@code sim} commands.
 */
record VersionLabel(String keyName, int number, Instant created) {

    private static final Pattern LABEL = Pattern.compile("([A-Za-z0-9-]{1,64})/v([1-9][0-9]{0,8})/(\\S+)");

    static VersionLabel next(String keyName, int number, Instant now) {
        return new VersionLabel(keyName, number, now.truncatedTo(ChronoUnit.SECONDS));
    }

    static Optional<VersionLabel> parse(String label) {
        Matcher m = LABEL.matcher(label);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new VersionLabel(m.group(1), Integer.parseInt(m.group(2)), Instant.parse(m.group(3))));
        } catch (DateTimeParseException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    String label() {
        return keyName + "/v" + number + "/" + created;
    }

    KeyRef ref() {
        return new KeyRef(keyName, Integer.toString(number));
    }

    /**
     * The KMS v2 key_id: SHA-256 of {@code hsm-sim:<label>}. The creation instant in the label makes the id of a
     * re-created token's version 1 differ from the old one's, so a key_id never comes back for a different key.
     * Part of the stored-data contract: never change it.
     */
    KeyId keyId() {
        return KeyId.sha256Hex("hsm-sim:" + label());
    }
}
