package io.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one address grammar shared by control-plane validation and data-plane matching. */
class CidrTest {

    @Test
    void cidrsMatchV4AndV6() throws Exception {
        assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByName("10.200.1.1"))).isTrue();
        assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db8:ffff::1"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db9::1"))).isFalse();
        assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("10.0.0.1"))).isFalse();
        assertThat(Cidr.parse("192.168.1.7").contains(InetAddress.getByName("192.168.1.7"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
        assertThat(Cidr.parse(" 10.1.2.3/16 ")).hasToString("10.1.0.0/16");
    }

    @Test
    void rejectsWhatIsNotACidrBlock() {
        for (String bad : List.of("10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/0008",
                "example.com/8", "300.1.1.1", "10.0.0", "010.0.0.1/8", "", "/8")) {
            assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void literalsAreParsedWithoutDnsAndWithoutAmbiguousForms() {
        assertThat(IpLiterals.parse("192.0.2.1")).hasValueSatisfying(ip -> assertThat(ip.getHostAddress()).isEqualTo("192.0.2.1"));
        assertThat(IpLiterals.parse("[2001:db8::1]")).isPresent();
        assertThat(IpLiterals.parse("::ffff:192.0.2.1")).isPresent();
        assertThat(IpLiterals.parse("fe80::1%1")).hasValueSatisfying(ip -> assertThat(ip.isLinkLocalAddress()).isTrue());
        // leading zeros read as octal by some parsers (010 = 8): refused rather than guessed
        for (String notALiteral : List.of("localhost", "example.com", "010.0.0.1", "1.2.3.04", "1.2.3", "256.0.0.1",
                "1.2.3.4.5", "0x7f.0.0.1", "", " ")) {
            assertThat(IpLiterals.parse(notALiteral)).as(notALiteral).isEmpty();
        }
        assertThat(IpLiterals.parse(null)).isEmpty();
    }

    @Test
    void linkLocalMetadataUnspecifiedAndMulticastAreNeverUpstreams() throws Exception {
        for (String never : List.of("169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "0.0.0.0", "0.1.2.3",
                "::", "224.0.0.1", "239.255.255.250", "ff02::1")) {
            assertThat(UpstreamAddresses.neverAllowed(InetAddress.getByName(never))).as(never).isTrue();
        }
        for (String fine : List.of("127.0.0.1", "::1", "10.0.0.1", "192.0.2.1", "2001:db8::1", "fd00:ec2::253")) {
            assertThat(UpstreamAddresses.neverAllowed(InetAddress.getByName(fine))).as(fine).isFalse();
        }
    }
}
