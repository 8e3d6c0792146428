# Stage 5: figures per study (training ensemble): error vs lattice size, predicted vs true,
# training curves, gauge robustness; PNG and PDF.


rule plots:
    wildcard_constraints:
        study=study_pattern(scalar=False),
    input:
        evaluation=f"{RESULTS}/evaluation/{{study}}/evaluation.csv",
        predictions=f"{RESULTS}/evaluation/{{study}}/predictions_best.csv",
        metrics=lambda w: [
            f"{train_dir(e, r)}/metrics.csv"
            for e in studies()[w.study]
            for r in experiment_replicas(e)
        ],
    output:
        multiext(f"{RESULTS}/plots/{{study}}/error_vs_size", ".png", ".pdf"),
        multiext(f"{RESULTS}/plots/{{study}}/predicted_vs_true", ".png", ".pdf"),
        multiext(f"{RESULTS}/plots/{{study}}/training_curves", ".png", ".pdf"),
        multiext(f"{RESULTS}/plots/{{study}}/gauge_robustness", ".png", ".pdf"),
    log:
        f"{RESULTS}/logs/plots/{{study}}.log",
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
    conda:
        ENV
    threads: 1
    shell:
        f"{LATTICEML} plot --evaluation {{input.evaluation}} --predictions {{input.predictions}}"
        " --metrics {input.metrics} --out-dir {params.out} --force > {log} 2>&1"


# Scalar studies: one rule per group of figures, so that a study gets exactly the figures its
# experiments support (regression, extrapolation, detectors).
SCALAR_PLOT_INPUT = dict(
    evaluation=f"{RESULTS}/evaluation/{{study}}/evaluation.csv",
    predictions=f"{RESULTS}/evaluation/{{study}}/predictions_best.csv",
)
SCALAR_PLOT = (
    f"{LATTICEML} plot --evaluation {{input.evaluation}} --predictions {{input.predictions}}"
    " --out-dir {params.out} --figures {params.figures} --mu-range {params.mu_range}"
)


rule plots_scalar:
    wildcard_constraints:
        study=study_pattern(scalar=True),
    input:
        **SCALAR_PLOT_INPUT,
    output:
        multiext(f"{RESULTS}/plots/{{study}}/observable_vs_mu", ".png", ".pdf"),
        multiext(f"{RESULTS}/plots/{{study}}/error_vs_size", ".png", ".pdf"),
        multiext(f"{RESULTS}/plots/{{study}}/predicted_vs_true", ".png", ".pdf"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_regression.log",
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="observable_vs_mu,error_vs_size,predicted_vs_true",
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
        sets=lambda w: (
            "--extrapolation-sets " + " ".join(extrapolation_sets(w.study))
            if extrapolation_sets(w.study)
            else ""
        ),
    conda:
        ENV
    threads: 1
    shell:
        f"{SCALAR_PLOT} {{params.sets}} --force > {{log}} 2>&1"


rule plots_scalar_training:
    wildcard_constraints:
        study=study_pattern(scalar=True),
    input:
        **SCALAR_PLOT_INPUT,
        metrics=lambda w: [
            f"{train_dir(e, r)}/metrics.csv"
            for e in studies()[w.study]
            for r in experiment_replicas(e)
        ],
    output:
        multiext(f"{RESULTS}/plots/{{study}}/training_curves", ".png", ".pdf"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_training.log",
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="training_curves",
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
    conda:
        ENV
    threads: 1
    shell:
        f"{SCALAR_PLOT} --metrics {{input.metrics}} --force > {{log}} 2>&1"


rule plots_extrapolation:
    wildcard_constraints:
        study=study_pattern(scalar=True),
    input:
        **SCALAR_PLOT_INPUT,
    output:
        multiext(f"{RESULTS}/plots/{{study}}/extrapolation", ".png", ".pdf"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_extrapolation.log",
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="extrapolation",
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
        sets=lambda w: " ".join(extrapolation_sets(w.study)),
    conda:
        ENV
    threads: 1
    shell:
        f"{SCALAR_PLOT} --extrapolation-sets {{params.sets}} --force > {{log}} 2>&1"


rule plots_detector:
    wildcard_constraints:
        study=study_pattern(scalar=True),
    input:
        **SCALAR_PLOT_INPUT,
        models=lambda w: detector_feature_models(w.study),
        data=lambda w: detector_feature_data(w.study),
    output:
        multiext(f"{RESULTS}/plots/{{study}}/classifier_accuracy", ".png", ".pdf"),
        multiext(f"{RESULTS}/plots/{{study}}/feature_maps", ".png", ".pdf"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_detector.log",
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="classifier_accuracy,feature_maps",
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
    conda:
        ENV
    threads: 1
    shell:
        f"{SCALAR_PLOT} --feature-models {{input.models}} --feature-data {{input.data}}"
        " --force > {log} 2>&1"
