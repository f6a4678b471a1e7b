package dev.simdnorm.spark;

import java.util.List;

import dev.simdnorm.Moments;

/**
 * The fixed order in which partial moments are merged: partials [from, to) as the merge of [from, mid) and [mid, to),
 * {@code mid = (from + to) >>> 1}, the same tree as the core's slices. Given in partition order, the result depends
 * only on the partitioning, never on which task finished first. A balanced tree also keeps the merges' rounding
 * growing with the tree's depth, log₂ of the partitions, rather than with their number.
 */
final class MergeOrder {

    private MergeOrder() {
    }

    /** The merge of {@code partials}, null if there are none. */
    static Moments tree(List<Moments> partials) {
        return partials.isEmpty() ? null : tree(partials, 0, partials.size());
    }

    private static Moments tree(List<Moments> partials, int from, int to) {
        if (to - from == 1) {
            return partials.get(from);
        }
        int mid = (from + to) >>> 1;
        return tree(partials, from, mid).merge(tree(partials, mid, to));
    }
}
