/**
 * The apiserver's storage formats as they sit in etcd, for {@code kms-plugin storage audit} (issue 15): which
 * provider, KMS API and key version each stored value depends on. Reads headers and key IDs only; never decrypts.
 * Exports nothing yet: the etcd reader and the {@code storage} command are still to come.
 */
module dev.kmsplugin.adapter.etcd {
    // depends on
    requires dev.kmsplugin.ports;
}
