package io.gatehouse.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerAddressTest {

    @Test
    void parsesHostAndPort() {
        assertThat(ServerAddress.parse("cp.internal:7070")).isEqualTo(new ServerAddress("cp.internal", 7070));
    }

    @Test
    void parsesBracketedIpv6AndWritesItBackInBrackets() {
        ServerAddress address = ServerAddress.parse("[::1]:7070");
        assertThat(address.host()).isEqualTo("::1");
        assertThat(address.target()).isEqualTo("[::1]:7070");
    }

    @Test
    void rejectsAddressWithoutPort() {
        assertThatThrownBy(() -> ServerAddress.parse("localhost")).hasMessageContaining("not host:port");
    }

    @Test
    void rejectsNonNumericAndOutOfRangePorts() {
        assertThatThrownBy(() -> ServerAddress.parse("localhost:http")).hasMessageContaining("no numeric port");
        assertThatThrownBy(() -> ServerAddress.parse("localhost:70000")).hasMessageContaining("not in 1..65535");
    }

    @Test
    void rejectsUnbracketedIpv6() {
        assertThatThrownBy(() -> ServerAddress.parse("::1:7070")).hasMessageContaining("[::1]:7070");
    }
}
