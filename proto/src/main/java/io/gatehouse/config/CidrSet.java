package io.gatehouse.config;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/** A precompiled list of CIDR blocks; immutable, thread-safe. */
public final class CidrSet {

    public static final CidrSet EMPTY = new CidrSet(List.of());

    private final Cidr[] blocks;

    private CidrSet(List<Cidr> blocks) {
        this.blocks = blocks.toArray(Cidr[]::new);
    }

    /** @throws IllegalArgumentException naming the first entry that does not parse */
    public static CidrSet parse(List<String> cidrs) {
        if (cidrs.isEmpty()) {
            return EMPTY;
        }
        List<Cidr> blocks = new ArrayList<>(cidrs.size());
        for (String cidr : cidrs) {
            blocks.add(Cidr.parse(cidr));
        }
        return new CidrSet(blocks);
    }

    /**
     * Like {@link #parse} but skips (and logs) entries that do not parse. The control plane rejects
     * such configs; this only guards a data plane fed a snapshot from elsewhere (disk).
     */
    public static CidrSet parseLenient(List<String> cidrs, String what) {
        List<Cidr> blocks = new ArrayList<>(cidrs.size());
        for (String cidr : cidrs) {
            try {
                blocks.add(Cidr.parse(cidr));
            } catch (IllegalArgumentException e) {
                Logger.getLogger(CidrSet.class.getName()).warning(what + ": ignoring " + e.getMessage());
            }
        }
        return blocks.isEmpty() ? EMPTY : new CidrSet(blocks);
    }

    /** Whether no block is listed. */
    public boolean isEmpty() {
        return blocks.length == 0;
    }

    /** Whether any block contains {@code address}. */
    public boolean contains(InetAddress address) {
        for (Cidr block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
