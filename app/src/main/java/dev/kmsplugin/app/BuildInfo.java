package dev.kmsplugin.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What was built, from {@code build.properties} written by the build. */
record BuildInfo(String version, String gitCommit, String buildDate) {

    static BuildInfo load() {
        Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BuildInfo(properties.getProperty("version", "unknown"),
                properties.getProperty("gitCommit", "unknown"), properties.getProperty("buildDate", "unknown"));
    }

    /** The Go plugin's {@code --version} shape: one JSON object. */
    String json() {
        return "{\"BuildVersion\":\"" + escape(version) + "\",\"GitCommit\":\"" + escape(gitCommit)
                + "\",\"BuildDate\":\"" + escape(buildDate) + "\",\"Name\":\"kms-plugin\",\"Runtime\":\"java "
                + escape(Runtime.version().toString()) + "\"}";
    }

    // Values come from the build, but a hand-edited properties file must still not break the JSON.
    private static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
