package io.gatehouse.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** Runs small test classes through the JUnit engine and checks when their fixtures start and stop. */
class FixtureTest {

    /** What the recording fixtures did, in order; the engine runs the sample classes on this thread. */
    static final List<String> EVENTS = new CopyOnWriteArrayList<>();

    static final class Recording extends Fixture {
        private final String name;

        Recording(String name, Fixture... prerequisites) {
            this.name = name;
            for (Fixture prerequisite : prerequisites) {
                requires(prerequisite);
            }
        }

        String use() {
            requireRunning();
            return name;
        }

        @Override
        protected void open() {
            EVENTS.add("open " + name);
        }

        @Override
        protected void release() {
            EVENTS.add("release " + name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static class PerClass {
        @RegisterExtension
        static final Recording db = new Recording("db");
        // declared after db on purpose: JUnit's order of these fields is not their declaration order
        @RegisterExtension
        static final Recording cp = new Recording("cp", db);
        @RegisterExtension
        static final Recording zz = new Recording("zz", db);

        @Test
        void first() {
            EVENTS.add("test " + cp.use() + zz.use());
        }

        @Test
        void second() {
            EVENTS.add("test " + cp.use() + zz.use());
        }
    }

    static class PerMethodOnPerClass {
        @RegisterExtension
        static final Recording db = new Recording("db");
        @RegisterExtension
        final Recording cp = new Recording("cp", db);

        @Test
        void first() {
            EVENTS.add("test " + cp.use());
        }

        @Test
        void fails() {
            EVENTS.add("test " + cp.use());
            throw new AssertionError("expected by FixtureTest");
        }
    }

    static class ImplicitPrerequisite {
        @RegisterExtension
        final Recording cp = new Recording("cp", new Recording("db"));

        @Test
        void only() {
            EVENTS.add("test " + cp.use());
        }
    }

    private static Events run(Class<?> testClass) {
        EVENTS.clear();
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass)).execute().testEvents();
    }

    @Test
    void aStaticFixtureSpansTheClassAndStartsAfterAndStopsBeforeWhatItNeeds() {
        run(PerClass.class).assertStatistics(s -> s.succeeded(2).failed(0));

        assertThat(EVENTS).hasSize(8);
        assertThat(EVENTS.getFirst()).isEqualTo("open db");
        assertThat(EVENTS.subList(1, 3)).containsExactlyInAnyOrder("open cp", "open zz");
        assertThat(EVENTS.subList(3, 5)).containsExactly("test cpzz", "test cpzz");
        assertThat(EVENTS.subList(5, 7)).containsExactlyInAnyOrder("release cp", "release zz");
        // db last: were it released before cp, cp's last write would go to a dropped database
        assertThat(EVENTS.getLast()).isEqualTo("release db");
        assertThat(PerClass.db.isRunning()).isFalse();
    }

    @Test
    void anInstanceFixtureWrapsEachTestAndStopsAfterAFailedOne() {
        run(PerMethodOnPerClass.class).assertStatistics(s -> s.succeeded(1).failed(1));

        assertThat(EVENTS).startsWith("open db").endsWith("release db");
        assertThat(EVENTS.subList(1, EVENTS.size() - 1))
                .containsExactly("open cp", "test cp", "release cp", "open cp", "test cp", "release cp");
    }

    @Test
    void aPrerequisiteNobodyStartedStopsWithTheFixtureThatStartedIt() {
        run(ImplicitPrerequisite.class).assertStatistics(s -> s.succeeded(1));

        assertThat(EVENTS).containsExactly("open db", "open cp", "test cp", "release cp", "release db");
    }

    @Test
    void usingAFixtureThatIsNotRunningSaysHowToDeclareIt() {
        Recording idle = new Recording("idle");

        assertThatThrownBy(idle::use).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("idle is not running").hasMessageContaining("@RegisterExtension");
    }

    @Test
    void aFixtureThatFailsToStartLeavesNoPrerequisiteItStartedRunning() {
        Recording db = new Recording("db");
        Fixture broken = new Fixture() {
            {
                requires(db);
            }

            @Override
            protected void open() throws Exception {
                throw new java.io.IOException("port taken");
            }

            @Override
            protected void release() {
            }
        };

        assertThatThrownBy(broken::start).hasMessageContaining("port taken");
        assertThat(db.isRunning()).isFalse();
        assertThat(broken.isRunning()).isFalse();
    }

    @Test
    void aCloserClosesWhatWasTrackedNewestFirstAndTriesAllWhenOneFails() {
        Closer closer = new Closer();
        closer.start();
        closer.onClose(() -> EVENTS.add("first"));
        closer.onClose(() -> {
            throw new IllegalStateException("second fails");
        });
        closer.track(() -> EVENTS.add("third"));
        EVENTS.clear();

        assertThatThrownBy(closer::close).hasMessage("second fails");
        assertThat(EVENTS).containsExactly("third", "first");
    }
}
