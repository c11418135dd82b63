"""Simulations of disappearing likes with full ground truth.

========================  ====================================================================
module                    what it holds
========================  ====================================================================
``panel``                 :func:`simulate`: a creator's panel of videos, every cause, the truth
``params``                :class:`SimParams`, the generative model's parameters, checked
``simulator``             the generative model: attention, likes, un-likes, bots, glitches
``tables``                the simulation's tables: what the app shows and the ground truth
``result``                :class:`Simulation`: the tables with their plot and files
``catalog``               the named scenarios (:func:`scenarios`) and the claim each illustrates
``decline``               :func:`simulate_decline` / :func:`draw_decline`: one decline with
                          known decay parameters, the decay fits' test and benchmark bench;
                          :func:`half_life_from`: its true half-life from a given snapshot
========================  ====================================================================
"""

from likekit.simulation.catalog import SCENARIOS, Scenario, scenarios
from likekit.simulation.decline import MODELS, draw_decline, half_life_from, simulate_decline
from likekit.simulation.panel import simulate
from likekit.simulation.params import SimParams
from likekit.simulation.result import Simulation

__all__ = [
    "MODELS",
    "SCENARIOS",
    "Scenario",
    "SimParams",
    "Simulation",
    "draw_decline",
    "half_life_from",
    "scenarios",
    "simulate",
    "simulate_decline",
]
