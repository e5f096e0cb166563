/**
 * The core of the plugin: what envelope encryption of Kubernetes data keys means, with no technology in it.
 * It holds value types, the self-describing ciphertext format, the key-version and health rules and the error model.
 */
module dev.kmsplugin.domain {
    // depends on: java.base only

    exports dev.kmsplugin.domain.call;
    exports dev.kmsplugin.domain.envelope;
    exports dev.kmsplugin.domain.failure;
    exports dev.kmsplugin.domain.health;
    exports dev.kmsplugin.domain.key;
}
