package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.StoredDataProvider;

/**
 * Offers the apiserver's stored data in etcd to the commands that retire key versions, read with the
 * {@code storage audit} settings ({@code kms.storage}, the {@code --etcd-*} and {@code --provider-name} flags).
 */
public final class EtcdStoredDataProvider implements StoredDataProvider {

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public StoredData create(PluginContext context) {
        return new EtcdStoredData(context.settings());
    }
}
