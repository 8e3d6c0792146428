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


rule all:
    default_target: True
    input:
        gauge_dataset_targets(),
        scalar_dataset_targets(),
