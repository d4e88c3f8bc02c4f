"""The training core: mini-batch SGD, momentum and Adam on small fully connected networks,
on the data sets of :mod:`derive.train.datasets`, starting from a spec's network or from
random weights. It computes with the oracle's kernels (:mod:`derive.verify.kernels`).

One concern a module: ``options`` (TrainOptions, History, TrainError, which losses fit
which output layer), ``engine`` (work arrays, forward and backward of a batch,
``gradients``), ``network`` (Network, initialisation), ``optimizers``, ``loop`` (``train``,
accuracy tracking), ``from_spec`` (a spec as the start of training), ``datasets``.
The public names, importable from here:"""

from derive.train.engine import gradients
from derive.train.from_spec import network_from_spec, spec_defaults
from derive.train.loop import train
from derive.train.network import Network
from derive.train.options import History, TrainError, TrainOptions

__all__ = [
    "History",
    "Network",
    "TrainError",
    "TrainOptions",
    "gradients",
    "network_from_spec",
    "spec_defaults",
    "train",
]
