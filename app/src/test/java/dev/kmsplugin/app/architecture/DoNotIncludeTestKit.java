package dev.kmsplugin.app.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;

/**
 * Leaves out kms-ports' test kit, which reaches the app's tests as a jar ({@code kms-ports-*-tests.jar}) that
 * {@link ImportOption.DoNotIncludeTests} does not recognise: the rules are about the product, not its test doubles.
 */
public final class DoNotIncludeTestKit implements ImportOption {
    @Override
    public boolean includes(Location location) {
        return !location.contains("-tests.jar") && !location.contains("/testkit/");
    }
}
