/**
 * The storage commands ({@code kms-plugin storage audit}): read what kube-apiserver stored in etcd, read-only and
 * page by page over etcd's own gRPC API, and say which provider, KMS API and key version each value depends on,
 * matched against the selected backend's key versions (reached through the {@code KeyInventory} port). Reads
 * headers and key IDs only; never decrypts. Exports nothing.
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

    // provides
    provides dev.kmsplugin.ports.spi.CommandProvider with dev.kmsplugin.adapter.etcd.audit.StorageCommandProvider;
    provides dev.kmsplugin.ports.spi.StoredDataProvider with dev.kmsplugin.adapter.etcd.audit.EtcdStoredDataProvider;
}
