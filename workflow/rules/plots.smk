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
        study_figure("error_vs_size", "gauge_error_vs_size", "Generalisation", "error vs L"),
        study_pdf("error_vs_size"),
        study_figure(
            "predicted_vs_true", "gauge_predicted_vs_true", "Generalisation", "predicted vs true"
        ),
        study_pdf("predicted_vs_true"),
        study_figure("training_curves", "training_curves", "Training", "training curves"),
        study_pdf("training_curves"),
        study_figure("gauge_robustness", "gauge_robustness", "Gauge robustness", "gauge robustness"),
        study_pdf("gauge_robustness"),
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
        f"{LATTICEML} plot --evaluation {{input.evaluation:q}} --predictions {{input.predictions:q}}"
        " --metrics {input.metrics:q} --out-dir {params.out:q} {params.published}"
        " --force > {log:q} 2>&1"


# Scalar studies: one rule per group of figures, so that a study gets exactly the figures its
# experiments support (regression, extrapolation, detectors).
SCALAR_PLOT_INPUT = dict(
    evaluation=f"{RESULTS}/evaluation/{{study}}/evaluation.csv",
    predictions=f"{RESULTS}/evaluation/{{study}}/predictions_best.csv",
)
SCALAR_PLOT = (
    f"{LATTICEML} plot --evaluation {{input.evaluation:q}} --predictions {{input.predictions:q}}"
    " --out-dir {params.out:q} --figures {params.figures} --mu-range {params.mu_range}"
)


rule plots_scalar:
    input:
        **SCALAR_PLOT_INPUT,
    output:
        study_figure(
            "observable_vs_mu", "scalar_observable_vs_mu", "Generalisation", "observable vs mu"
        ),
        study_pdf("observable_vs_mu"),
        study_figure("error_vs_size", "scalar_error_vs_size", "Generalisation", "error vs V"),
        study_pdf("error_vs_size"),
        study_figure(
            "predicted_vs_true", "scalar_predicted_vs_true", "Generalisation", "predicted vs true"
        ),
        study_pdf("predicted_vs_true"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_regression.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="observable_vs_mu,error_vs_size,predicted_vs_true",
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
        study_figure("training_curves", "training_curves", "Training", "training curves"),
        study_pdf("training_curves"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_training.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="training_curves",
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
    shell:
        f"{SCALAR_PLOT} --metrics {{input.metrics:q}} --force > {{log:q}} 2>&1"


rule plots_extrapolation:
    input:
        **SCALAR_PLOT_INPUT,
    output:
        study_figure("extrapolation", "scalar_extrapolation", "Generalisation", "extrapolation"),
        study_pdf("extrapolation"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_extrapolation.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="extrapolation",
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
        study_figure(
            "classifier_accuracy",
            "classifier_accuracy",
            "Flux-violation detector",
            "detector error rate",
        ),
        study_pdf("classifier_accuracy"),
        study_figure("feature_maps", "feature_maps", "Flux-violation detector", "feature maps"),
        study_pdf("feature_maps"),
    log:
        f"{RESULTS}/logs/plots/{{study}}_detector.log",
    wildcard_constraints:
        study=study_pattern(scalar=True),
    conda:
        ENV
    threads: 1
    params:
        out=lambda w: f"{RESULTS}/plots/{w.study}",
        figures="classifier_accuracy,feature_maps",
        mu_range=" ".join(str(m) for m in EVALUATION["mu_range"]),
    shell:
        f"{SCALAR_PLOT} --feature-models {{input.models:q}} --feature-data {{input.data:q}}"
        " --force > {log:q} 2>&1"
