package dev.kmsplugin.adapter.keyvault;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An Azure cloud: where Entra ID issues tokens and which DNS suffix and token audience vaults have. Names are the
 * Go plugin's ({@code cloud} in azure.json).
 *
 * @param managedHsmSuffix empty where Managed HSM is not offered
 */
record Cloud(String name, String authorityHost, String vaultSuffix, String vaultAudience,
             Optional<String> managedHsmSuffix, Optional<String> managedHsmAudience) {

    static final Cloud PUBLIC = new Cloud("AzurePublicCloud", "https://login.microsoftonline.com/", "vault.azure.net",
            "https://vault.azure.net", Optional.of("managedhsm.azure.net"), Optional.of("https://managedhsm.azure.net"));
    static final Cloud CHINA = new Cloud("AzureChinaCloud", "https://login.chinacloudapi.cn/", "vault.azure.cn",
            "https://vault.azure.cn", Optional.empty(), Optional.empty());
    static final Cloud US_GOVERNMENT = new Cloud("AzureUSGovernmentCloud", "https://login.microsoftonline.us/",
            "vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net", Optional.empty(), Optional.empty());

    /** Resolves the azure.json {@code cloud}; Azure Stack reads {@code AZURE_ENVIRONMENT_FILEPATH}. */
    static Cloud named(String name, Map<String, String> env) {
        String key = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        return switch (key) {
            case "", "AZUREPUBLICCLOUD" -> PUBLIC;
            case "AZURECHINACLOUD" -> CHINA;
            case "AZUREUSGOVERNMENTCLOUD" -> US_GOVERNMENT;
            case "AZURESTACKCLOUD" -> stack(env.get("AZURE_ENVIRONMENT_FILEPATH"));
            default -> throw new KmsException.Misconfigured("unknown cloud '" + name + "' in the config file; use "
                    + "AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud or AzureStackCloud");
        };
    }

    // The environment file Azure Stack Hub deployments write (same JSON field names the Go SDK reads).
    private static Cloud stack(String file) {
        if (file == null || file.isBlank()) {
            throw new KmsException.Misconfigured("cloud AzureStackCloud needs AZURE_ENVIRONMENT_FILEPATH to name the "
                    + "Azure Stack environment file");
        }
        try (JsonReader reader = JsonProviders.createReader(Files.readString(Path.of(file)))) {
            reader.nextToken();
            if (!(reader.readUntyped() instanceof Map<?, ?> fields)) {
                throw new IOException("the top level is not an object");
            }
            String authority = text(fields.get("activeDirectoryEndpoint"));
            String suffix = text(fields.get("keyVaultDNSSuffix"));
            String audience = text(fields.get("keyVaultEndpoint"));
            if (fields.get("resourceIdentifiers") instanceof Map<?, ?> ids && !text(ids.get("keyVault")).isEmpty()) {
                audience = text(ids.get("keyVault"));
            }
            if (authority.isEmpty() || suffix.isEmpty()) {
                throw new IOException("activeDirectoryEndpoint and keyVaultDNSSuffix are required");
            }
            if (audience.isEmpty()) {
                audience = "https://" + suffix;
            }
            return new Cloud("AzureStackCloud", authority.endsWith("/") ? authority : authority + "/", suffix,
                    stripSlash(audience), Optional.empty(), Optional.empty());
        } catch (IOException | RuntimeException e) {
            throw new KmsException.Misconfigured("cannot read the Azure Stack environment file " + file
                    + " (AZURE_ENVIRONMENT_FILEPATH): " + e.getMessage());
        }
    }

    private static String text(Object value) {
        return value == null ? "" : String.valueOf(value).trim();
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
