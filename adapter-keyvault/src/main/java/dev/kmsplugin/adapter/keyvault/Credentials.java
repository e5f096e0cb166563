package dev.kmsplugin.adapter.keyvault;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import dev.kmsplugin.adapter.keyvault.KeyVaultSettings.AuthKind;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.SecretFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Chooses the credential, once per process: the Go plugin's rules first (managed identity, client secret,
 * certificate), then workload identity and environment credentials, which the Go plugin lacks. The chosen kind is
 * logged; secrets never appear in a description or an error.
 */
final class Credentials {

    /**
     * What was chosen and how to build it; {@link #description()} is safe to log, {@link #fix()} says which setting
     * to correct when Entra ID rejects the credential.
     */
    record Choice(AuthKind kind, String description, String fix, Function<HttpClient, TokenCredential> factory) {
        TokenCredential build(HttpClient http) {
            return factory.apply(http);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    private Credentials() {
    }

    static Choice choose(AuthKind requested, AzureConfig config, Map<String, String> env, String authorityHost,
                         boolean knownAuthority) {
        if (requested == AuthKind.AUTO) {
            if (config.useManagedIdentityExtension()) {
                return managedIdentity(config);
            }
            if (!config.aadClientSecret().isEmpty()) {
                return clientSecret(config, authorityHost, knownAuthority);
            }
            if (!config.aadClientCertPath().isEmpty()) {
                return clientCertificate(config, authorityHost, knownAuthority);
            }
            if (has(env, "AZURE_FEDERATED_TOKEN_FILE")) {
                return workloadIdentity(env, authorityHost, knownAuthority);
            }
            if (has(env, "AZURE_CLIENT_SECRET") || has(env, "AZURE_CLIENT_CERTIFICATE_PATH")) {
                return environment(env, authorityHost, knownAuthority);
            }
            throw new KmsException.Misconfigured("no credentials provided: "
                    + (config.fileFound() ? "the config file" : "the config file is missing and")
                    + " sets neither useManagedIdentityExtension, aadClientSecret nor aadClientCertPath, and neither "
                    + "AZURE_FEDERATED_TOKEN_FILE (workload identity) nor AZURE_CLIENT_SECRET / "
                    + "AZURE_CLIENT_CERTIFICATE_PATH (environment) is set");
        }
        return switch (requested) {
            case MANAGED_IDENTITY -> managedIdentity(config);
            case CLIENT_SECRET -> clientSecret(config, authorityHost, knownAuthority);
            case CLIENT_CERTIFICATE -> clientCertificate(config, authorityHost, knownAuthority);
            case WORKLOAD_IDENTITY -> workloadIdentity(env, authorityHost, knownAuthority);
            case ENVIRONMENT -> environment(env, authorityHost, knownAuthority);
            case AUTO -> throw new IllegalStateException("handled above");
        };
    }

    private static Choice managedIdentity(AzureConfig config) {
        String clientId = config.userAssignedIdentityID();
        if (clientId.isEmpty()) {
            return new Choice(AuthKind.MANAGED_IDENTITY, "system-assigned managed identity",
                    "the identity assigned to this VM or scale set (or set userAssignedIdentityID in the config file)",
                    http -> new ManagedIdentityCredentialBuilder().httpClient(http).build());
        }
        return new Choice(AuthKind.MANAGED_IDENTITY, "user-assigned managed identity (client id " + clientId + ")",
                "userAssignedIdentityID in the config file: it must be the client id of an identity assigned to "
                        + "this VM or scale set",
                http -> new ManagedIdentityCredentialBuilder().clientId(clientId).httpClient(http).build());
    }

    private static Choice clientSecret(AzureConfig config, String authority, boolean known) {
        require(config.aadClientId(), "aadClientId", "client secret");
        require(config.tenantId(), "tenantId", "client secret");
        String tenant = config.tenantId();
        String clientId = config.aadClientId();
        String secret = config.aadClientSecret();
        return new Choice(AuthKind.CLIENT_SECRET, "service principal " + clientId + " with a client secret (tenant "
                + tenant + ")", "aadClientSecret in the config file (a current secret of application " + clientId
                + "; also check aadClientId and tenantId)", http -> {
                    ClientSecretCredentialBuilder builder = new ClientSecretCredentialBuilder().tenantId(tenant)
                            .clientId(clientId).clientSecret(secret).authorityHost(authority).httpClient(http);
                    return (known ? builder : builder.disableInstanceDiscovery()).build();
                });
    }

    private static Choice clientCertificate(AzureConfig config, String authority, boolean known) {
        require(config.aadClientId(), "aadClientId", "certificate");
        require(config.tenantId(), "tenantId", "certificate");
        return certificate(AuthKind.CLIENT_CERTIFICATE, config.tenantId(), config.aadClientId(),
                config.aadClientCertPath(), config.aadClientCertPassword(), authority, known, "aadClientCertPath");
    }

    private static Choice certificate(AuthKind kind, String tenant, String clientId, String path, String password,
                                      String authority, boolean known, String field) {
        if (!Files.isReadable(Path.of(path))) {
            throw new KmsException.Misconfigured("the client certificate " + path + " (" + field
                    + ") does not exist or is not readable");
        }
        SecretFiles.warnIfExposed(Path.of(path), "the client certificate (" + field + ")");
        boolean pem = path.toLowerCase(java.util.Locale.ROOT).endsWith(".pem");
        return new Choice(kind, "service principal " + clientId + " with the " + (pem ? "PEM" : "PKCS#12")
                + " certificate " + path + " (tenant " + tenant + ")",
                field + ": the certificate must be one registered for application " + clientId + " and not expired",
                http -> {
                    ClientCertificateCredentialBuilder builder = new ClientCertificateCredentialBuilder()
                            .tenantId(tenant).clientId(clientId).authorityHost(authority).httpClient(http);
                    if (pem) {
                        builder.pemCertificate(path);
                    } else {
                        builder.pfxCertificate(path).clientCertificatePassword(password == null ? "" : password);
                    }
                    return (known ? builder : builder.disableInstanceDiscovery()).build();
                });
    }

    // Workload identity: the variables the Azure Workload Identity webhook injects into the pod.
    private static Choice workloadIdentity(Map<String, String> env, String authority, boolean known) {
        String file = requireEnv(env, "AZURE_FEDERATED_TOKEN_FILE", "workload identity");
        String clientId = requireEnv(env, "AZURE_CLIENT_ID", "workload identity");
        String tenant = requireEnv(env, "AZURE_TENANT_ID", "workload identity");
        String host = env.getOrDefault("AZURE_AUTHORITY_HOST", authority);
        boolean knownHost = known && host.equals(authority);
        return new Choice(AuthKind.WORKLOAD_IDENTITY, "workload identity (client id " + clientId + ", tenant "
                + tenant + ", token file " + file + ")", "the federated identity credential of application " + clientId
                + " (its issuer and subject must match the token in AZURE_FEDERATED_TOKEN_FILE)", http -> {
                    WorkloadIdentityCredentialBuilder builder = new WorkloadIdentityCredentialBuilder()
                            .tenantId(tenant).clientId(clientId).tokenFilePath(file).authorityHost(host)
                            .httpClient(http);
                    return (knownHost ? builder : builder.disableInstanceDiscovery()).build();
                });
    }

    // Environment credentials: the AZURE_* variables azure-identity's EnvironmentCredential documents.
    private static Choice environment(Map<String, String> env, String authority, boolean known) {
        String clientId = requireEnv(env, "AZURE_CLIENT_ID", "environment credentials");
        String tenant = requireEnv(env, "AZURE_TENANT_ID", "environment credentials");
        String host = env.getOrDefault("AZURE_AUTHORITY_HOST", authority);
        boolean knownHost = known && host.equals(authority);
        if (has(env, "AZURE_CLIENT_SECRET")) {
            String secret = env.get("AZURE_CLIENT_SECRET");
            return new Choice(AuthKind.ENVIRONMENT, "environment credentials: service principal " + clientId
                    + " with a client secret (tenant " + tenant + ")",
                    "the environment variable AZURE_CLIENT_SECRET (a current secret of application " + clientId + ")",
                    http -> {
                        ClientSecretCredentialBuilder builder = new ClientSecretCredentialBuilder().tenantId(tenant)
                                .clientId(clientId).clientSecret(secret).authorityHost(host).httpClient(http);
                        return (knownHost ? builder : builder.disableInstanceDiscovery()).build();
                    });
        }
        String path = requireEnv(env, "AZURE_CLIENT_CERTIFICATE_PATH", "environment credentials");
        Choice cert = certificate(AuthKind.ENVIRONMENT, tenant, clientId, path,
                env.getOrDefault("AZURE_CLIENT_CERTIFICATE_PASSWORD", ""), host, knownHost,
                "AZURE_CLIENT_CERTIFICATE_PATH");
        return new Choice(AuthKind.ENVIRONMENT, "environment credentials: " + cert.description(), cert.fix(),
                cert.factory());
    }

    private static boolean has(Map<String, String> env, String name) {
        String value = env.get(name);
        return value != null && !value.isBlank();
    }

    private static void require(String value, String field, String kind) {
        if (value.isEmpty()) {
            throw new KmsException.Misconfigured("the config file sets a " + kind + " but no " + field);
        }
    }

    private static String requireEnv(Map<String, String> env, String name, String kind) {
        if (!has(env, name)) {
            throw new KmsException.Misconfigured(kind + " needs the environment variable " + name);
        }
        return env.get(name).trim();
    }
}
