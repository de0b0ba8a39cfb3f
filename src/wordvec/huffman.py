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
    paths = []
    for w in range(v):
        codes, points = [], []
        node = w
        while node != root:
            codes.append(bit[node])
            node = parent[node]
            points.append(node - v)  # inner node id = its row in the output matrix
        paths.append((codes[::-1], points[::-1]))
    depth = max(len(c) for c, _ in paths)
    out_codes = np.zeros((v, depth), np.uint8)
    out_points = np.zeros((v, depth), np.int32)
    lengths = np.zeros(v, np.int32)
    for w, (c, p) in enumerate(paths):
        out_codes[w, : len(c)] = c
        out_points[w, : len(p)] = p
        lengths[w] = len(c)
    return HuffmanTree(out_codes, out_points, lengths)
