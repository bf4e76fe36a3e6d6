package io.dparallel.spark.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PartitioningProxy} on real loopback sockets: it forwards, then a cut connection is silent yet open. */
class PartitioningProxyTest {

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void forwardsBothWaysThenACutConnectionCarriesNothingAndStaysOpenWhileNewOnesAreForwarded() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
             PartitioningProxy proxy = new PartitioningProxy(target.getLocalPort());
             Socket client = new Socket("127.0.0.1", proxy.port());
             Socket server = target.accept()) {
            byte[] request = {1, 2, 3, 4, 5};
            client.getOutputStream().write(request);
            assertThat(readFully(server.getInputStream(), 5)).isEqualTo(request);
            server.getOutputStream().write(new byte[] {9, 8, 7});
            assertThat(readFully(client.getInputStream(), 3)).isEqualTo(new byte[] {9, 8, 7});
            assertThat(proxy.forwardedBytes()).isEqualTo(8);

            assertThat(proxy.partition()).isEqualTo(1);
            // Both directions silent: a read times out instead of seeing data or the end of the stream.
            client.getOutputStream().write(new byte[] {6});
            server.getOutputStream().write(new byte[] {6});
            server.setSoTimeout(1000);
            client.setSoTimeout(1000);
            assertThatThrownBy(() -> server.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            // Not even a close gets through.
            server.close();
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.forwardedBytes()).isEqualTo(8);

            // A connection made after the partition is forwarded.
            try (Socket later = new Socket("127.0.0.1", proxy.port()); Socket accepted = target.accept()) {
                later.getOutputStream().write(new byte[] {42});
                assertThat(readFully(accepted.getInputStream(), 1)).isEqualTo(new byte[] {42});
                accepted.close();
                later.setSoTimeout(5000);
                assertThat(later.getInputStream().read()).as("end of stream passed through").isEqualTo(-1);
            }
            assertThat(proxy.connections()).isEqualTo(2);
        }
    }

    private static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] bytes = new byte[n];
        new DataInputStream(in).readFully(bytes);
        return bytes;
    }
}
