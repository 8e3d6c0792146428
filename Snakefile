# latticeml workflow: Monte Carlo ensembles -> datasets -> training -> evaluation -> plots.
#   snakemake --cores 2                                   (default config.yaml)
#   snakemake --cores 2 --configfile my.yaml              (another run)
#   snakemake --workflow-profile workflow/profiles/slurm  (submit to SLURM)
# Logic lives in the `latticeml` CLI; the rules only name targets, seeds and paths.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/plots.smk"


rule all:
    default_target: True
    input:
        gauge_dataset_targets(),
        scalar_dataset_targets(),
        summary_targets(),
        plot_targets(),
        search_targets(),


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


rule evaluate_all:
    input:
        summary_targets(),


rule plots_all:
    input:
        plot_targets(),


localrules:
    select_grid,
    search_best,
    search,
    summarize,
    generate,
    datasets,
    train_all,
    evaluate_all,
    plots_all,
