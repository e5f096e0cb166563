package dev.kmsplugin.adapter.keyvault;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.SecretFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fields the Go plugin reads from its config file ({@code /etc/kubernetes/azure.json}), same names and meaning.
 * The file is JSON (what AKS and aks-engine write) or a flat YAML mapping; other fields are ignored, as there.
 * {@link #toString()} never prints the secret or the certificate password.
 */
record AzureConfig(
        String cloud,
        String tenantId,
        String aadClientId,
        String aadClientSecret,
        boolean useManagedIdentityExtension,
        String userAssignedIdentityID,
        String aadClientCertPath,
        String aadClientCertPassword,
        boolean fileFound) {

    static final AzureConfig EMPTY = new AzureConfig("", "", "", "", false, "", "", "", false);

    /** Reads {@code file}; a missing file is an empty configuration (workload identity needs none). */
    static AzureConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return EMPTY;
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot read the config file " + file + " ("
                    + KeyVaultBackendProvider.flag("config-file-path") + "): "
                    + e.getMessage(), e);
        }
        Map<String, Object> fields;
        try {
            fields = text.stripLeading().startsWith("{") ? json(text) : yaml(text);
        } catch (IOException | RuntimeException e) {
            // Never the parser's message: it quotes the source, and this file holds the client secret.
            throw new KmsException.Misconfigured("the config file " + file + " ("
                    + KeyVaultBackendProvider.flag("config-file-path") + ") is neither valid "
                    + "JSON nor a flat YAML mapping: " + whereParsingFailed(text, e)
                    + "; fix the syntax there (the file's content is not shown because it holds credentials)");
        }
        AzureConfig config = new AzureConfig(
                string(fields, "cloud"), string(fields, "tenantId"), string(fields, "aadClientId"),
                string(fields, "aadClientSecret"), bool(fields, "useManagedIdentityExtension"),
                string(fields, "userAssignedIdentityID"), string(fields, "aadClientCertPath"),
                string(fields, "aadClientCertPassword"), true);
        // Its mode matters only when it holds a secret: a managed-identity file holds ids, which are not.
        String secrets = config.secretFields();
        if (!secrets.isEmpty()) {
            SecretFiles.warnIfExposed(file, "the config file (" + KeyVaultBackendProvider.flag("config-file-path")
                    + "), holding " + secrets + ",");
        }
        return config;
    }

    /** The fields of this file that hold a secret, e.g. {@code aadClientSecret}, or empty. */
    String secretFields() {
        List<String> held = new ArrayList<>();
        if (!aadClientSecret.isEmpty()) {
            held.add("aadClientSecret");
        }
        if (!aadClientCertPassword.isEmpty()) {
            held.add("aadClientCertPassword");
        }
        return String.join(" and ", held);
    }

    private static Map<String, Object> json(String text) throws IOException {
        try (JsonReader reader = JsonProviders.createReader(text)) {
            reader.nextToken();
            Object value = reader.readUntyped();
            if (!(value instanceof Map<?, ?> map)) {
                throw new IOException("the top level is not an object");
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            map.forEach((k, v) -> fields.put(String.valueOf(k), v));
            return fields;
        }
    }

    // The subset of YAML a hand-written azure.yaml uses: "key: value" lines, comments, quoted or plain scalars.
    // Nested keys are skipped (the Go plugin reads only top-level fields).
    private static Map<String, Object> yaml(String text) throws IOException {
        Map<String, Object> fields = new LinkedHashMap<>();
        int lineNumber = 0;
        for (String raw : text.split("\r?\n")) {
            lineNumber++;
            String line = stripComment(raw);
            if (line.isBlank() || line.equals("---") || Character.isWhitespace(line.charAt(0))) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new YamlLineError(lineNumber);
            }
            String key = unquote(line.substring(0, colon).trim());
            String value = unquote(line.substring(colon + 1).trim());
            fields.put(key, value);
        }
        return fields;
    }

    /** Our own YAML reader's failure: it names a line and nothing of its content. */
    private static final class YamlLineError extends IOException {
        private final int line;

        YamlLineError(int line) {
            super("line " + line + " is not 'key: value'");
            this.line = line;
        }
    }

    private static final Pattern JSON_POSITION = Pattern.compile("line: (\\d+), column: (\\d+)");
    private static final Pattern JSON_KEY = Pattern.compile("\"([A-Za-z0-9_]{1,64})\"\\s*:");

    /**
     * Where parsing stopped, as line, column and the field being read: enough to find the mistake, and nothing of
     * the file's content, since the JSON parser's own messages quote the source (and so the secret).
     */
    static String whereParsingFailed(String text, Exception e) {
        if (e instanceof YamlLineError yaml) {
            return "line " + yaml.line + " is not 'key: value'";
        }
        Matcher position = JSON_POSITION.matcher(String.valueOf(e.getMessage()));
        if (!position.find()) {
            return "a syntax error (its position is unknown)";
        }
        int line = Integer.parseInt(position.group(1));
        int column = Integer.parseInt(position.group(2));
        String before = upTo(text, line, column);
        Matcher key = JSON_KEY.matcher(before);
        String field = null;
        while (key.find()) {
            field = key.group(1);
        }
        return "a syntax error at line " + line + ", column " + column
                + (field == null ? "" : ", after the field \"" + field + "\"");
    }

    private static String upTo(String text, int line, int column) {
        int offset = 0;
        for (int l = 1; l < line && offset < text.length(); l++) {
            int next = text.indexOf('\n', offset);
            offset = next < 0 ? text.length() : next + 1;
        }
        return text.substring(0, Math.min(text.length(), offset + Math.max(0, column - 1)));
    }

    private static String stripComment(String line) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'' && !dbl) {
                single = !single;
            } else if (c == '"' && !single) {
                dbl = !dbl;
            } else if (c == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i).stripTrailing();
            }
        }
        return line.stripTrailing();
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && ((value.startsWith("\"") && value.endsWith("\""))
                || (value.startsWith("'") && value.endsWith("'")))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    // Go's encoding/json (which the Go plugin reads this file with, YAML included) matches field names
    // case-insensitively, so "tenantID" or "AADClientID" work there and must work here.
    private static Object field(Map<String, Object> fields, String name) {
        for (Map.Entry<String, Object> entry : fields.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name)) {
                return entry.getValue();
            }
        }
        return null;
    }

    private static String string(Map<String, Object> fields, String name) {
        Object value = field(fields, name);
        return value == null ? "" : String.valueOf(value).trim();
    }

    private static boolean bool(Map<String, Object> fields, String name) {
        Object value = field(fields, name);
        return value instanceof Boolean b ? b : "true".equals(String.valueOf(value).trim().toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return "AzureConfig[cloud=" + cloud + ", tenantId=" + tenantId + ", aadClientId=" + aadClientId
                + ", aadClientSecret=" + (aadClientSecret.isEmpty() ? "" : "<redacted>")
                + ", useManagedIdentityExtension=" + useManagedIdentityExtension
                + ", userAssignedIdentityID=" + userAssignedIdentityID + ", aadClientCertPath=" + aadClientCertPath
                + ", aadClientCertPassword=" + (aadClientCertPassword.isEmpty() ? "" : "<redacted>") + "]";
    }
}
