# Stage 2: training datasets. One file per ensemble name and split: all betas of a gauge
# ensemble; all mu and open-worm counts of a scalar ensemble.


rule dataset_gauge:
    input:
        dataset_gauge_inputs,
    output:
        f"{RESULTS}/datasets/gauge/{{ensemble}}/{{split}}.h5",
    log:
        f"{RESULTS}/logs/dataset_gauge/{{ensemble}}/{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/dataset_gauge/{{ensemble}}/{{split}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        targets=shlex.join(catalog.gauge_option_flags(config["datasets"]["gauge"])),
        channels=" ".join(
            flag
            for flag, on in (
                ("--plaquette-channels", config["datasets"]["gauge"]["plaquette_channels"]),
                ("--polyakov-channels", config["datasets"]["gauge"]["polyakov_channels"]),
            )
            if on
        ),
        fixed_point=fixed_point_flags,
    shell:
        f"{LATTICEML} dataset build"
        " --inputs {input:q} {params.targets} {params.channels} {params.fixed_point}"
        " --no-progress --force --out {output:q} > {log:q} 2>&1"


rule dataset_scalar:
    input:
        dataset_scalar_inputs,
    output:
        f"{RESULTS}/datasets/scalar/{{ensemble}}/{{split}}.h5",
    log:
        f"{RESULTS}/logs/dataset_scalar/{{ensemble}}/{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/dataset_scalar/{{ensemble}}/{{split}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        controls=lambda w: SCALAR_ENS[w.ensemble].get("flux_controls", {}).get(w.split, 0),
        controls_seed=lambda w: ("train", "val", "test").index(w.split),
        controls_max_k=lambda w: SCALAR_ENS[w.ensemble].get("flux_controls_max_k", 8),
    shell:
        f"{LATTICEML} dataset build"
        " --inputs {input:q} --flux-controls {params.controls}"
        " --controls-seed {params.controls_seed} --controls-max-k {params.controls_max_k}"
        " --no-progress --force --out {output:q}"
        " > {log:q} 2>&1"
