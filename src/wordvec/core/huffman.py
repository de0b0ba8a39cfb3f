"""Huffman tree for hierarchical softmax, built as in the word2vec C tool (``CreateBinaryTree``).

For ``V`` words there are ``V - 1`` inner nodes, each with a row in the output matrix. A word's
probability is the product, along its path from the root, of ``sigmoid(+-u_node . v)``; the
code bit says which branch was taken (bit 1 = the C tool's ``label = 1 - code`` is 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class HuffmanTree:
    """``codes``: uint8[V, L] branch bits, ``points``: int32[V, L] inner-node ids (root first),
    ``lengths``: int32[V]; only the first ``lengths[w]`` entries of a row are used."""

    codes: np.ndarray
    points: np.ndarray
    lengths: np.ndarray


def build_huffman(counts: np.ndarray) -> HuffmanTree:
    """Build the tree from counts sorted in decreasing order (the vocabulary's order).

    Two-queue construction, O(V): leaves are read from the rare end, inner nodes are created in
    increasing weight, so the two smallest weights are always at one of the two heads.
    """
    v = counts.shape[0]
    if v < 2:
        return HuffmanTree(
            np.zeros((v, 1), np.uint8), np.zeros((v, 1), np.int32), np.zeros(v, np.int32)
        )
    if np.any(np.diff(counts) > 0):
        raise ValueError("counts must be sorted in decreasing order")
    weight = np.empty(2 * v - 1, np.int64)
    weight[:v] = counts
    parent = np.zeros(2 * v - 1, np.int64)
    bit = np.zeros(2 * v - 1, np.uint8)
    leaf, inner = v - 1, v  # next leaf (from the rarest) and next unused inner node
    for node in range(v, 2 * v - 1):
        picks = []
        for _ in range(2):
            if leaf >= 0 and (inner >= node or weight[leaf] < weight[inner]):
                picks.append(leaf)
                leaf -= 1
            else:
                picks.append(inner)
                inner += 1
        weight[node] = weight[picks[0]] + weight[picks[1]]
        parent[picks[0]] = parent[picks[1]] = node
        bit[picks[1]] = 1
    root = 2 * v - 2
    # depth of every node, root first (a parent's index is always above its children's)
    depth = np.zeros(2 * v - 1, np.int64)
    for node in range(root - 1, -1, -1):
        depth[node] = depth[parent[node]] + 1
    lengths = depth[:v].astype(np.int32)
    codes = np.zeros((v, int(lengths.max())), np.uint8)
    points = np.zeros((v, int(lengths.max())), np.int32)
    # walk all leaves up together, one level a step, filling each path from its end
    words = np.arange(v)
    node = words.copy()
    pos = lengths.astype(np.int64) - 1
    while True:
        up = pos >= 0
        if not up.any():
            break
        w, n = words[up], node[up]
        codes[w, pos[up]] = bit[n]
        points[w, pos[up]] = parent[n] - v  # inner node id = its row in the output matrix
        node[up] = parent[n]
        pos[up] -= 1
    return HuffmanTree(codes, points, lengths)
