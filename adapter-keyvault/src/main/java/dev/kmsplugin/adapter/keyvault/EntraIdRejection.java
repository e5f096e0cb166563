package dev.kmsplugin.adapter.keyvault;

import com.azure.core.exception.ClientAuthenticationException;
import dev.kmsplugin.domain.failure.KmsException;
import java.lang.reflect.Method;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Entra ID refusing the plugin's credential (wrong secret, unknown certificate, missing federation) is an
 * authentication failure to fix in the configuration, not a missing permission: the message names Entra ID's error
 * code and description, the credential kind, and the setting to correct. Retrying it cannot help.
 */
final class EntraIdRejection {

    private static final Pattern AADSTS = Pattern.compile("AADSTS\\d+:[^\\r\\n]*?(?=(\\s+Trace ID:|\\r|\\n|$))");
    private static final String MSAL_SERVICE_EXCEPTION = "com.microsoft.aad.msal4j.MsalServiceException";

    private EntraIdRejection() {
    }

    /** The domain error for a failed token request, or the failure itself when Entra ID did not refuse. */
    static RuntimeException explain(RuntimeException failure, Credentials.Choice choice) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            Matcher aadsts = AADSTS.matcher(message);
            boolean msal = t.getClass().getName().equals(MSAL_SERVICE_EXCEPTION);
            if (aadsts.find() && (msal || t instanceof ClientAuthenticationException)) {
                String code = msal ? errorCode(t) : "";
                return new KmsException.Misconfigured("authentication failed: Entra ID rejected the credential "
                        + choice.description() + " (" + (code.isEmpty() ? "" : code + " ")
                        + KeyVaultErrors.oneLine(aadsts.group()) + "); to fix: " + choice.fix(), failure);
            }
        }
        return failure;
    }

    // MSAL's error field (e.g. invalid_client); read reflectively so the module needs no compile-time MSAL edge.
    private static String errorCode(Throwable msal) {
        try {
            Method method = msal.getClass().getMethod("errorCode");
            Object code = method.invoke(msal);
            return code == null ? "" : code.toString();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "";
        }
    }
}
