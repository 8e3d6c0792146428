"""Architecture search with Optuna (the papers' "best of many architectures").

``latticeml search run`` (:func:`run_search`) is one worker on a study; any number of workers
(processes, SLURM jobs) share a study through its storage. ``latticeml search export``
(:func:`export_study`) writes the trial table, the best architecture as a model spec that
``latticeml model train --model`` takes unchanged, and figures.

Example::

    from latticeml.search import SearchParams, parse_space, run_search, export_study, load_study
    space = parse_space("config/search/cnn.yaml")
    params = SearchParams(space=space, train="train.h5", val="val.h5", target="W_2x2",
                          out="search/cnn", n_trials=50, epochs=10)
    run_search(params)
    export_study(load_study("", "search", "search/cnn"), "search/cnn", figures=True)
"""

from latticeml.search.export import best_trial_spec, export_study, trials_frame
from latticeml.search.params import SearchParams
from latticeml.search.space import SearchSpace, parse_space, sample, spec_from_params
from latticeml.search.storage import load_study, open_study
from latticeml.search.study import SearchResult, run_search

__all__ = ["SearchParams", "SearchResult", "SearchSpace", "parse_space", "sample",
           "spec_from_params", "run_search", "open_study", "load_study", "export_study",
           "trials_frame", "best_trial_spec"]
