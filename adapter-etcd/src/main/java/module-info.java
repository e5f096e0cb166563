/**
 * The apiserver's storage formats as they sit in etcd, for {@code kms-plugin storage audit} (issue 15): which
 * provider, KMS API and key version each stored value depends on. Reads headers and key IDs only; never decrypts.
 * Exports nothing yet: the etcd reader and the {@code storage} command are still to come.
 */
module dev.kmsplugin.adapter.etcd {
    // depends on
    requires dev.kmsplugin.ports;
    requires com.google.protobuf;
    requires io.grpc;
    requires io.grpc.stub;
    requires io.grpc.protobuf;
    requires io.grpc.netty.shaded; // the TLS transport to etcd
    requires com.google.common;    // the generated future stubs name ListenableFuture
    // Guava ships as an automatic module and so cannot say that it needs failureaccess, an explicit module that
    // the module path would otherwise leave unresolved.
    requires com.google.common.util.concurrent.internal;
}
