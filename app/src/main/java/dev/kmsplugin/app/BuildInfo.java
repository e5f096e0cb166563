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
        return "{\"BuildVersion\":\"" + version + "\",\"GitCommit\":\"" + gitCommit + "\",\"BuildDate\":\""
                + buildDate + "\",\"Name\":\"kms-plugin\",\"Runtime\":\"java " + Runtime.version() + "\"}";
    }
}
