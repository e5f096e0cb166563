/** The SoftHSM2 simulator backend: a key-encryption key in a PKCS#11 token, for offline work. Exports nothing. */
module dev.kmsplugin.adapter.softhsm {
    // depends on
    requires dev.kmsplugin.ports;
    requires jdk.crypto.cryptoki;

    // provides
    provides dev.kmsplugin.ports.spi.BackendProvider with dev.kmsplugin.adapter.softhsm.SoftHsmBackendProvider;
}
