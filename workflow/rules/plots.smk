# Stage 5: figures per study (training ensemble): error vs lattice size, predicted vs true,
# training curves, gauge robustness; PNG and PDF. The PNGs go into the report
# (`snakemake --report report.html`), one category per study, with the captions of
# workflow/report/.


rule plots:
    input:
        evaluation=f"{RESULTS}/evaluation/{{study}}/evaluation.csv",
        predictions=f"{RESULTS}/evaluation/{{study}}/predictions_best.csv",
        metrics=lambda w: [
            f"{train_dir(e, r)}/metrics.csv"
            for e in studies()[w.study]
            for r in experiment_replicas(e)
        ],
    output:
        figure_outputs("gauge", "gauge"),
    log:
        f"{RESULTS}/logs/plots/{{study}}.log",
    wildcard_constraints:
        study=study_pattern(scalar=False),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        published=(f"--published {EVALUATION['published']}" if EVALUATION.get("published") else ""),
    shell:
        f"{LATTICEML} results plot --evaluation {{input.evaluation:q}} --predictions {{input.predictions:q}}"
        " --metrics {input.metrics:q} --out-dir {params.out:q} {params.published}"
        " --force > {log:q} 2>&1"


# Scalar studies: one rule per group of figures, so that a study gets exactly the figures its
# experiments support (regression, extrapolation, detectors).
SCALAR_PLOT_INPUT = dict(
    evaluation=f"{RESULTS}/evaluation/{{study}}/evaluation.csv",
    predictions=f"{RESULTS}/evaluation/{{study}}/predictions_best.csv",
)
SCALAR_PLOT = (
    f"{LATTICEML} results plot --evaluation {{input.evaluation:q}} --predictions {{input.predictions:q}}"
    " --out-dir {params.out:q} --figures {params.figures} --mu-range {params.mu_range}"
)


rule plots_scalar:
    input:
        **SCALAR_PLOT_INPUT,
    output:
        figure_outputs("scalar", "regression"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_regression.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures=figure_flags("regression"),
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
        sets=lambda w: (
            "--extrapolation-sets " + " ".join(extrapolation_sets(w.study))
            if extrapolation_sets(w.study)
            else ""
        ),
    shell:
        f"{SCALAR_PLOT} {{params.sets}} --force > {{log:q}} 2>&1"


rule plots_scalar_training:
    input:
        **SCALAR_PLOT_INPUT,
        metrics=lambda w: [
            f"{train_dir(e, r)}/metrics.csv"
            for e in studies()[w.study]
            for r in experiment_replicas(e)
        ],
    output:
        figure_outputs("scalar", "training"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_training.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures=figure_flags("training"),
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
    shell:
        f"{SCALAR_PLOT} --metrics {{input.metrics:q}} --force > {{log:q}} 2>&1"


rule plots_extrapolation:
    input:
        **SCALAR_PLOT_INPUT,
    output:
        figure_outputs("scalar", "extrapolation"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_extrapolation.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures=figure_flags("extrapolation"),
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
        sets=lambda w: " ".join(extrapolation_sets(w.study)),
    shell:
        f"{SCALAR_PLOT} --extrapolation-sets {{params.sets}} --force > {{log:q}} 2>&1"


rule plots_detector:
    input:
        **SCALAR_PLOT_INPUT,
        models=lambda w: detector_feature_models(w.study),
        data=lambda w: detector_feature_data(w.study),
    output:
        figure_outputs("scalar", "detector"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_detector.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures=figure_flags("detector"),
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
    shell:
        f"{SCALAR_PLOT} --feature-models {{input.models:q}} --feature-data {{input.data:q}}"
        " --force > {log:q} 2>&1"
