# Stage 5: figures per study (training ensemble): error vs lattice size, predicted vs true,
# training curves, gauge robustness; PNG and PDF.


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
