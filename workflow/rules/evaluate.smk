# Stage 4: evaluation of every experiment's replicas on its test sets, then one summary per
# training ensemble (study).


rule evaluate:
    input:
        unpack(evaluate_inputs),
        models=lambda w: model_targets(w.exp),
        test=lambda w: [dataset_path(t, "test") for t in EXPERIMENTS[w.exp]["test"]],
    output:
        table=f"{RESULTS}/evaluation/{{exp}}.csv",
        predictions=f"{RESULTS}/evaluation/{{exp}}_predictions.csv",
    log:
        f"{RESULTS}/logs/evaluate/{{exp}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{exp}}.tsv"
    conda:
        ENV
    threads: EVALUATION["threads"]
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        flags=evaluate_flags,
        device=lambda w: training_value(w.exp, "device"),
    shell:
        f"{LATTICEML} model evaluate --models {{input.models:q}} --test {{input.test:q}}"
        " --out {output.table:q} --predictions {output.predictions:q} {params.flags}"
        " --device {params.device} --threads {threads} --force --no-progress > {log:q} 2>&1"


rule check_action:
    input:
        model=f"{RESULTS}/train/{{exp}}/r{{replica}}/model.pt",
        test=lambda w: dataset_path(EXPERIMENTS[w.exp]["test"][0], "test"),
    output:
        f"{RESULTS}/checks/{{exp}}/r{{replica}}.csv",
    log:
        f"{RESULTS}/logs/check_action/{{exp}}/r{{replica}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/check_action/{{exp}}/r{{replica}}.tsv"
    conda:
        ENV
    threads: EVALUATION["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        flags=action_check_flags,
    shell:
        f"{LATTICEML} model check-action {{input.model:q}} --data {{input.test:q}}"
        " {params.flags} --force --out {output:q} > {log:q} 2>&1"


rule summarize:
    input:
        tables=lambda w: [f"{RESULTS}/evaluation/{e}.csv" for e in studies()[w.study]],
        predictions=lambda w: [
            f"{RESULTS}/evaluation/{e}_predictions.csv" for e in studies()[w.study]
        ],
    output:
        summary=report(
            f"{RESULTS}/evaluation/{{study}}/summary.csv",
            caption="../report/summary.rst",
            category="Study {study}",
            subcategory="Summary",
            labels={"figure": "summary table"},
        ),
        merged=f"{RESULTS}/evaluation/{{study}}/evaluation.csv",
        predictions=f"{RESULTS}/evaluation/{{study}}/predictions_best.csv",
        markdown=f"{RESULTS}/evaluation/{{study}}/summary.md",
    log:
        f"{RESULTS}/logs/summarize/{{study}}.log",
    conda:
        ENV
    threads: 1
    params:
        ratio=EVALUATION["failure_ratio"],
        scalar=lambda w: (
            f"--min-accuracy {EVALUATION['min_accuracy']}"
            f" --mu-range {EVALUATION['mu_range'][0]} {EVALUATION['mu_range'][1]}"
            if scalar_study(w.study)
            else ""
        ),
    shell:
        f"{LATTICEML} results summarize --evaluations {{input.tables:q}} --out {{output.summary:q}}"
        " --merged {output.merged:q} --predictions {input.predictions:q}"
        " --best-predictions {output.predictions:q} --markdown {output.markdown:q} --failure-ratio {params.ratio} {params.scalar} --force > {log:q} 2>&1"
