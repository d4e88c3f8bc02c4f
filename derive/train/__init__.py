"""The training core: mini-batch SGD, momentum and Adam on small fully connected networks,
on the data sets of :mod:`derive.train.datasets`, starting from a spec's network or from
random weights. The public names, importable from here:"""
from derive.train.core import (History, Network, TrainError, TrainOptions, gradients, network_from_spec,
                               train)

__all__ = ["History", "Network", "TrainError", "TrainOptions", "gradients", "network_from_spec", "train"]
