# Stage 3: training. One job per (experiment, replica); CNN grids train one model per grid
# point, keep the best on validation (rule select_grid) and train its replicas.


rule train:
    input:
        unpack(train_model_input),
        train=lambda w: dataset_path(EXPERIMENTS[w.exp]["ensemble"], "train"),
        val=lambda w: dataset_path(EXPERIMENTS[w.exp]["ensemble"], "val"),
    output:
        model=f"{RESULTS}/train/{{exp}}/r{{replica}}/model.pt",
        metrics=f"{RESULTS}/train/{{exp}}/r{{replica}}/metrics.csv",
    log:
        f"{RESULTS}/logs/train/{{exp}}/r{{replica}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{exp}}/r{{replica}}.tsv"
    conda:
        ENV
    threads: train_threads
    resources:
        mem_mb=lambda w: training_value(w.exp, "mem_mb"),
        runtime=lambda w: training_value(w.exp, "runtime"),
        gpu=lambda w: training_value(w.exp, "gpu"),
    params:
        model=train_model_flag,
        target=lambda w: EXPERIMENTS[w.exp]["target"],
        plane=lambda w: EXPERIMENTS[w.exp].get("plane", 0),
        t=training_settings,
        processes=train_processes,
        launch=train_launch,
        seed=lambda w: derive_seed("train", w.exp, w.replica),
        out=lambda w: train_dir(w.exp, w.replica),
        extra=train_extra_flags,
    shell:
        f"{LATTICEML_TRAIN} model train --train {{input.train:q}} --val {{input.val:q}} --model {{params.model}}"
        + TRAIN_FLAGS
        + "{params.extra} --name {wildcards.exp} --replica {wildcards.replica} --out-dir {params.out:q}"
        " --force --no-progress > {log:q} 2>&1"


rule train_grid:
    input:
        train=lambda w: dataset_path(EXPERIMENTS[w.exp]["ensemble"], "train"),
        val=lambda w: dataset_path(EXPERIMENTS[w.exp]["ensemble"], "val"),
    output:
        # only select_grid reads them; its grid.csv keeps every point's validation loss
        model=temp(f"{RESULTS}/train/{{exp}}/grid/g{{point}}/model.pt"),
        metrics=temp(f"{RESULTS}/train/{{exp}}/grid/g{{point}}/metrics.csv"),
    log:
        f"{RESULTS}/logs/train_grid/{{exp}}/g{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_grid/{{exp}}/g{{point}}.tsv"
    conda:
        ENV
    threads: train_threads
    resources:
        mem_mb=lambda w: training_value(w.exp, "mem_mb"),
        runtime=lambda w: training_value(w.exp, "runtime"),
        gpu=lambda w: training_value(w.exp, "gpu"),
    params:
        model=lambda w: model_arg(grid_points(w.exp)[int(w.point)]),
        target=lambda w: EXPERIMENTS[w.exp]["target"],
        plane=lambda w: EXPERIMENTS[w.exp].get("plane", 0),
        t=training_settings,
        processes=train_processes,
        launch=train_launch,
        seed=lambda w: derive_seed("grid", w.exp, w.point),
        out=lambda w: f"{RESULTS}/train/{w.exp}/grid/g{w.point}",
    shell:
        f"{LATTICEML_TRAIN} model train --train {{input.train:q}} --val {{input.val:q}} --model {{params.model}}"
        + TRAIN_FLAGS
        + " --name {wildcards.exp}-g{wildcards.point} --out-dir {params.out:q}"
        " --force --no-progress > {log:q} 2>&1"


rule select_grid:
    input:
        lambda w: [
            f"{RESULTS}/train/{w.exp}/grid/g{i}/model.pt" for i in range(len(grid_points(w.exp)))
        ],
    output:
        spec=f"{RESULTS}/train/{{exp}}/best.yaml",
        table=f"{RESULTS}/train/{{exp}}/grid.csv",
    log:
        f"{RESULTS}/logs/select_grid/{{exp}}.log",
    conda:
        ENV
    threads: 1
    shell:
        f"{LATTICEML} model select --models {{input:q}} --out {{output.spec:q}} --table {{output.table:q}}"
        " --force > {log:q} 2>&1"
