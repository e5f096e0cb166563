package dev.kmsplugin.adapter.grpc.kms;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * What v1beta1 Version reports as runtime_name and runtime_version. The version comes from the build and is
 * checked against semver 2.0.0 (the apiserver logs it as such and operators compare releases by it).
 */
public record RuntimeInfo(String name, String version) {

    public static final String NAME = "kms-plugin";
    static final Pattern SEMVER = Pattern.compile("(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
            + "(-((0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
            + "(\\+([0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*))?");

    public RuntimeInfo {
        if (!SEMVER.matcher(version).matches()) {
            throw new IllegalArgumentException("runtime version '" + version + "' is not semver");
        }
    }

    /** This build's name and version. */
    public static RuntimeInfo ofThisBuild() {
        Properties properties = new Properties();
        try (InputStream in = RuntimeInfo.class.getResourceAsStream("/dev/kmsplugin/adapter/grpc/runtime.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // fall through to the placeholder below: a version string is not worth failing start-up for
        }
        String version = properties.getProperty("runtimeVersion", "0.0.0-unknown");
        return new RuntimeInfo(NAME, SEMVER.matcher(version).matches() ? version : "0.0.0-unknown");
    }
}
