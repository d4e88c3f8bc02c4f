"""Chain-rule paths of a gradient, as references into the step graph.

The gradient of the loss with respect to a parameter of node j sums, over every path from
the loss down to node j, the product of the local derivatives along the path. Each factor
is a :class:`~derive.graph.steps.Factor`: which quantity is differentiated by which, and
which step (or given number) holds its value. Nothing here is LaTeX: the walkthrough renders
the fractions from these references (:mod:`derive.present.notation`), and
:mod:`derive.verify.chains` checks that the factors' values multiply, and the paths sum, to
the gradient's value.

>>> from derive.model.spec import load_spec
>>> from derive.graph.builder import derive
>>> [f.value for f in derive(load_spec("worked/four.yaml"))["grad_w1"].chain[0]]
['dloss_dout_o1', 'dout_dnet_o1', 'w9', 'dout_dnet_h1', 'i1']
"""

from __future__ import annotations

from derive.graph.steps import Factor

#: Above this many chain-rule paths a gradient is shown in delta form only.
MAX_PATHS = 6


def n_paths(spec, li: int) -> int:
    """How many paths lead from the loss to a node of layer ``li``."""
    n = 1
    for layer in spec.layers[li + 1 :]:
        n *= layer.size
    return n


class NodePaths:
    """The chain-rule paths of one sample's gradients.

    ``ids(kind, layer, node)`` names one step of the sample (``ids("loss")`` its loss);
    ``weights[l][n][m]`` is the name of the weight from node m of layer l - 1 to node n.
    The paths down to a node are found once and shared by every parameter of the node."""

    def __init__(self, spec, ids, weights):
        self.spec, self.ids, self.weights = spec, ids, weights
        self.memo: dict[tuple[int, int], list[tuple]] = {}
        self.too_many = [n_paths(spec, li) > MAX_PATHS for li in range(len(spec.layers))]

    def chain(self, li: int, j: int, param: str, last) -> tuple:
        """The paths from the loss to node ``j`` of layer ``li``, each ending in d net_j /
        d ``param`` whose value is ``last`` (the name of the input or output the weight
        multiplies, or 1 for a bias); empty when there are more than MAX_PATHS paths."""
        if self.too_many[li]:
            return ()
        end = (Factor(self.ids("net", li, j), param, last),)
        return tuple(p + end for p in self.paths(li, j))

    def paths(self, l: int, m: int) -> list[tuple]:
        """The paths from the loss down to out_m of layer ``l``, ending in d out_m / d net_m."""
        if (l, m) not in self.memo:
            ids = self.ids
            net, out = ids("net", l, m), ids("out", l, m)
            if l == len(self.spec.layers) - 1:
                found: list[tuple[Factor, ...]]
                if ids("dout_dnet", l, m) is None:  # a softmax output: start from dJ/dnet
                    found = [(Factor(ids("loss"), net, ids("delta", l, m)),)]
                else:
                    found = [
                        (Factor(ids("loss"), out, ids("dloss_dout", l, m)), Factor(out, net, ids("dout_dnet", l, m)))
                    ]
            else:
                found = [
                    p
                    + (
                        Factor(ids("net", l + 1, n), out, self.weights[l + 1][n][m]),
                        Factor(out, net, ids("dout_dnet", l, m)),
                    )
                    for n in range(self.spec.layers[l + 1].size)
                    for p in self.paths(l + 1, n)
                ]
            self.memo[(l, m)] = found
        return self.memo[(l, m)]
