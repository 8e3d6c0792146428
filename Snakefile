# latticeml workflow: Monte Carlo ensembles -> datasets -> training -> evaluation -> plots.
#   snakemake --cores 2                                   (default config.yaml)
#   snakemake --cores 2 --configfile my.yaml              (another run: my.yaml stands alone)
#   snakemake --cores 2 --configfile config.yaml my.yaml  (my.yaml layered on the default)
#   snakemake --workflow-profile workflow/profiles/slurm  (submit to SLURM)
# Logic lives in the `latticeml` CLI; the rules only name targets, seeds and paths.
from snakemake.utils import min_version

min_version("9.0")


# A config given with --configfile stands alone: the default config.yaml is read only when no
# --configfile is given (to layer a file on it, name both, in order). The run prints which
# file each top-level key came from (workflow/rules/common.smk).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


# global description of `snakemake --report report.html` (figure captions: workflow/report/)
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/loops.smk"
include: "workflow/rules/flow.smk"


rule all:
    default_target: True
    input:
        gauge_dataset_targets(),
        scalar_dataset_targets(),
        summary_targets(),
        plot_targets(),
        search_targets(),
        loops_targets(),
        flow_targets(),
        action_check_targets(),


# Target rules of single stages: snakemake --cores 2 <stage>
rule generate:
    input:
        gauge_ensemble_targets(),
        scalar_ensemble_targets(),


rule datasets:
    input:
        gauge_dataset_targets(),
        scalar_dataset_targets(),


rule train_all:
    input:
        [m for e in EXPERIMENTS for m in model_targets(e)],


rule search:
    input:
        search_targets(),


rule loops:
    input:
        loops_targets(),


rule flow:
    input:
        flow_targets(),


rule evaluate_all:
    input:
        summary_targets(),
        action_check_targets(),


rule plots_all:
    input:
        plot_targets(),


# cheap steps (seconds, one thread) run in the main process, not as cluster jobs
localrules:
    all,
    flow,
    flow_summary,
    generate,
    datasets,
    train_all,
    search,
    evaluate_all,
    plots_all,
    select_grid,
    search_best,
    summarize,
    plots,
    plots_scalar,
    plots_scalar_training,
    plots_extrapolation,
    plots_detector,
