"""The activations, by their old address: they live in :mod:`derive.graph.functions`
(one module each). Kept so that code importing ``sigma`` from here keeps working.

>>> ACTIVATIONS["tanh"].name
'tanh'
"""
from derive.graph.functions import ACTIVATIONS, leaky_relu, leaky_step, relu, sigma, softplus, step

__all__ = ["ACTIVATIONS", "leaky_relu", "leaky_step", "relu", "sigma", "softplus", "step"]
