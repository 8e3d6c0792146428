# Stage 1: Monte Carlo ensembles. One `latticeml ... generate` call per file.


rule generate_gauge:
    input:
        gauge_action_model,
    output:
        f"{RESULTS}/ensembles/gauge/{{ensemble}}/beta{{beta}}_{{split}}.h5",
    log:
        f"{RESULTS}/logs/generate_gauge/{{ensemble}}/beta{{beta}}_{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_gauge/{{ensemble}}/beta{{beta}}_{{split}}.tsv"
    wildcard_constraints:
        ensemble=names_regex(GENERATED_GAUGE),
    conda:
        ENV
    threads: gauge_threads
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        flags=gauge_generate_flags,
        checkpoint=gauge_checkpoint,
        every=config["gauge"]["checkpoint_every"],
    shell:
        'mkdir -p "$(dirname {params.checkpoint:q})" && '
        f"{LATTICEML} gauge generate {{params.flags}} --threads {{threads}}"
        " --checkpoint {params.checkpoint:q} --checkpoint-every {params.every}"
        " --no-progress --force --out {output:q} > {log:q} 2>&1"


rule import_gauge:
    input:
        imported_inputs,
    output:
        f"{RESULTS}/ensembles/gauge/{{ensemble}}/beta{{beta}}_{{split}}.h5",
    log:
        f"{RESULTS}/logs/import_gauge/{{ensemble}}/beta{{beta}}_{{split}}.log",
    wildcard_constraints:
        ensemble=names_regex(IMPORTED_GAUGE),
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        flags=gauge_import_flags,
    shell:
        f"{LATTICEML} gauge import {{input:q}} {{params.flags}}"
        " --no-progress --force --out {output:q} > {log:q} 2>&1"


rule generate_scalar:
    output:
        f"{RESULTS}/ensembles/scalar/{{ensemble}}/mu{{mu}}_open{{worms}}_{{split}}.h5",
    log:
        f"{RESULTS}/logs/generate_scalar/{{ensemble}}/mu{{mu}}_open{{worms}}_{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_scalar/{{ensemble}}/mu{{mu}}_open{{worms}}_{{split}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        flags=scalar_generate_flags,
    shell:
        f"{LATTICEML} scalar generate {{params.flags}}"
        " --no-progress --force --out {output:q} > {log:q} 2>&1"
