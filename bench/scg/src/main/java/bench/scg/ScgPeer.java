package bench.scg;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The whole peer: Spring Cloud Gateway with the one route of application.yml (bench/peers.sh). */
@SpringBootApplication
public class ScgPeer {
    public static void main(String[] args) {
        SpringApplication.run(ScgPeer.class, args);
    }
}
