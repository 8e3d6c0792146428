# Beside stage 3: Optuna architecture searches. Each search runs `workers` worker jobs on one
# study (a journal file shared by the jobs; on a cluster each worker is its own SLURM job), then
# `search_best` exports the trial table, the best architecture and the figures.


rule search_worker:
    input:
        search_space_input,
        train=lambda w: dataset_path(SEARCHES[w.search]["ensemble"], "train"),
        val=lambda w: dataset_path(SEARCHES[w.search]["ensemble"], "val"),
    output:
        f"{RESULTS}/search/{{search}}/workers/w{{worker}}.json",
    log:
        f"{RESULTS}/logs/search/{{search}}/w{{worker}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/search/{{search}}/w{{worker}}.tsv"
    conda:
        ENV
    threads: lambda w: SEARCHES[w.search]["threads"]
    resources:
        mem_mb=lambda w: SEARCHES[w.search]["mem_mb"],
        runtime=lambda w: SEARCHES[w.search]["runtime"],
        gpu=lambda w: SEARCHES[w.search]["gpu"],
    params:
        space=lambda w: search_space_arg(w.search),
        flags=search_settings,
        out=lambda w: search_dir(w.search),
    shell:
        f"{LATTICEML} search run --space {{params.space}} --train {{input.train:q}}"
        " --val {input.val:q} {params.flags} --threads {threads}"
        " --out-dir {params.out:q} --summary {output:q} --no-progress > {log:q} 2>&1"


rule search_best:
    input:
        lambda w: search_worker_targets(w.search),
    output:
        spec=f"{RESULTS}/search/{{search}}/best/best_model.yaml",
        best=f"{RESULTS}/search/{{search}}/best/best.yaml",
        trials=report(
            f"{RESULTS}/search/{{search}}/best/trials.csv",
            caption="../report/search_trials.rst",
            category="Search {search}",
            subcategory="Trials",
            labels={"item": "trial table"},
        ),
        history=search_figure("history", "optimisation history"),
        history_pdf=f"{RESULTS}/search/{{search}}/best/history.pdf",
        importances=search_figure("importances", "parameter importances"),
        importances_pdf=f"{RESULTS}/search/{{search}}/best/importances.pdf",
        loss_vs_parameters=search_figure("loss_vs_parameters", "loss vs parameters"),
        loss_vs_parameters_pdf=f"{RESULTS}/search/{{search}}/best/loss_vs_parameters.pdf",
    log:
        f"{RESULTS}/logs/search/{{search}}/best.log",
    conda:
        ENV
    threads: 1
    params:
        storage=lambda w: f"{search_dir(w.search)}/study.log",
        out=lambda w: f"{search_dir(w.search)}/best",
    shell:
        f"{LATTICEML} search export --storage {{params.storage:q}} --study-name {{wildcards.search}}"
        " --out-dir {params.out:q} --figures > {log:q} 2>&1"
