package dev.kmsplugin.adapter.keyvault;

/** The Key Vault operations the plugin performs; decisions are made on these, never on operation-name strings. */
enum Operation {
    GET("get", "get"),
    LIST("list", "list"),
    WRAP_KEY("wrapKey", "wrapKey"),
    UNWRAP_KEY("unwrapKey", "unwrapKey"),
    DECRYPT("decrypt", "decrypt"),
    CREATE("create", "create"),
    UPDATE("update", "update"),
    SET_ROTATION_POLICY("setRotationPolicy", "setrotationpolicy");

    private final String wireName;
    private final String permission;

    Operation(String wireName, String permission) {
        this.wireName = wireName;
        this.permission = permission;
    }

    /** Key Vault's name of the operation, used in messages and as the retry metric's label. */
    String wireName() {
        return wireName;
    }

    /** The key permission (access policy) that allows it. */
    String permission() {
        return permission;
    }

    /** A 400 answer to these means the ciphertext was not this key version's, not a malformed request. */
    boolean decrypts() {
        return this == UNWRAP_KEY || this == DECRYPT;
    }

    /** Provisioning is an administrator's act, outside what the serving identity should hold. */
    boolean provisions() {
        return this == CREATE || this == UPDATE || this == SET_ROTATION_POLICY;
    }
}
