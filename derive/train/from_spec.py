"""A walkthrough spec as the start of training: its layers, activations, bias modes and
weights become a :class:`Network`, and its loss, learning rate and batch reduction the
defaults of the run (:func:`spec_defaults`).

The spec's parameters are read through the one walk over them, ``Spec.iter_parameters()``,
so every weight naming and bias mode lands in the right place. A spec the core cannot
train, or one that does not fit the data set, is refused in one line that names the spec
file and the field.

>>> from derive.model.spec import load_spec
>>> spec = load_spec("worked/bce.yaml")
>>> network_from_spec(spec), spec_defaults(spec)
(Network(2-2-1, leaky-relu-sigmoid, float64), {'loss': 'bce', 'lr': 0.2, 'reduction': 'mean'})
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from derive.model.spec import load_spec
from derive.train.loop import FitError, check_fits
from derive.train.network import Network
from derive.train.options import OUTPUT_ACTIVATIONS, TrainError, refusal


def network_from_spec(spec, data=None) -> Network:
    """The spec's layers, activations, bias modes (and which biases are trained) and starting
    weights as a :class:`Network` to train from.

    ``spec`` is a :class:`derive.model.spec.Spec` or a path to a spec file. With ``data``
    the network is also checked against it (input count = features, output count =
    classes). Raises TrainError (one line, naming the spec file and the field) for a
    network the core cannot train: its output layer must be softmax or sigmoid, with a
    loss the core trains on it.
    """
    spec = _load(spec)
    check_trainable(spec)
    weights = []
    for li, layer in enumerate(spec.layers):
        n_in = len(spec.inputs) if li == 0 else spec.layers[li - 1].size
        weights.append((np.zeros((layer.size, n_in)), np.zeros(layer.size)))
    for p in spec.iter_parameters():
        W, b = weights[p.layer]
        if p.kind == "weight":
            W[p.nodes[0], p.k] = float(p.value)
        else:  # a neuron bias feeds one node, a shared one all
            b[list(p.nodes)] = float(p.value)
    net = Network(
        weights,
        [layer.activation for layer in spec.layers],
        alpha=[float(layer.alpha) for layer in spec.layers],
        bias=[layer.bias for layer in spec.layers],
        train_bias=[layer.train_bias for layer in spec.layers],
    )
    if data is not None:
        check_spec_fits(spec, net, data)
    return net


def spec_defaults(spec) -> dict:
    """What else the spec says about training: its ``loss``, learning rate (``lr``, as a
    float) and how a batch's losses combine (``reduction``: the spec's ``batch``)."""
    spec = _load(spec)
    return {"loss": spec.loss, "lr": float(spec.learning_rate), "reduction": spec.batch}


def check_trainable(spec, loss: str | None = None) -> None:
    """Raise TrainError unless the core can train the spec's network with ``loss`` (by
    default the spec's own): the message names the spec file and the field.

    >>> from derive.model.spec import load_spec
    >>> check_trainable(load_spec("worked/tanh.yaml"))  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    derive.train.options.TrainError: tanh.yaml: network.layers[1].activation: the training core trains
    classifiers, whose output layer is softmax or sigmoid; got identity
    """
    last = len(spec.layers) - 1
    output = spec.layers[last].activation
    if output not in OUTPUT_ACTIVATIONS:
        raise TrainError(f"{spec.source}: network.layers[{last}].activation: {refusal(output, spec.loss)}")
    why = refusal(output, loss or spec.loss)
    if why:
        raise TrainError(f"{spec.source}: loss: {why}")


def check_spec_fits(spec, net: Network, data) -> None:
    """Raise TrainError unless the spec's network fits the data set, naming the field."""
    try:
        check_fits(net, data)
    except FitError as e:
        field = "network.inputs" if e.part == "inputs" else f"network.layers[{len(spec.layers) - 1}].size"
        raise TrainError(f"{spec.source}: {field}: {e}") from None


def _load(spec):
    if isinstance(spec, (str, Path)):
        return load_spec(spec)
    return spec
