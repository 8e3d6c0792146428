# Stage 1: Monte Carlo ensembles. One `latticeml ... generate` call per file.


rule generate_gauge:
    output:
        f"{RESULTS}/ensembles/gauge/{{ensemble}}/beta{{beta}}_{{split}}.h5",
    log:
        f"{RESULTS}/logs/generate_gauge/{{ensemble}}/beta{{beta}}_{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_gauge/{{ensemble}}/beta{{beta}}_{{split}}.tsv"
    conda:
        ENV
    threads: gauge_threads
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        group=lambda w: GAUGE[w.ensemble]["group"],
        shape=lambda w: ",".join(str(s) for s in GAUGE[w.ensemble]["shape"]),
        n_configs=lambda w: GAUGE[w.ensemble]["splits"][w.split],
        n_therm=lambda w: GAUGE[w.ensemble]["n_therm"],
        n_skip=lambda w: GAUGE[w.ensemble]["n_skip"],
        algorithm=lambda w: GAUGE[w.ensemble]["algorithm"],
        overrelax=lambda w: GAUGE[w.ensemble]["overrelax"],
        start=lambda w: GAUGE[w.ensemble]["start"],
        seed=lambda w: derive_seed("gauge", w.ensemble, w.beta, w.split),
        backend=config["gauge"]["backend"],
    shell:
        f"{LATTICEML} gauge generate"
        " --group {params.group} --shape {params.shape}"
        " --beta {wildcards.beta} --n-configs {params.n_configs} --n-therm {params.n_therm}"
        " --n-skip {params.n_skip} --seed {params.seed} --algorithm {params.algorithm}"
        " --overrelax {params.overrelax} --start {params.start} --threads {threads}"
        " --backend {params.backend}"
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
        shape=lambda w: ",".join(str(s) for s in SCALAR_ENS[w.ensemble]["shape"]),
        eta=SCALAR["eta"],
        lam=SCALAR["lam"],
        n_configs=lambda w: SCALAR_ENS[w.ensemble]["splits"][w.split],
        n_therm=lambda w: scalar_setting(w.ensemble, "n_therm"),
        n_skip=lambda w: scalar_setting(w.ensemble, "n_skip"),
        n_worms=lambda w: (
            f"--n-worms {scalar_setting(w.ensemble, 'n_worms')}"
            if scalar_setting(w.ensemble, "n_worms")
            else ""
        ),
        seed=lambda w: derive_seed("scalar", w.ensemble, w.mu, w.worms, w.split),
    shell:
        f"{LATTICEML} scalar generate"
        " --shape {params.shape} --mu {wildcards.mu}"
        " --eta {params.eta} --lam {params.lam} --n-configs {params.n_configs}"
        " --n-therm {params.n_therm} --n-skip {params.n_skip} {params.n_worms}"
        " --seed {params.seed} --open-worms {wildcards.worms}"
        " --no-progress --force --out {output:q} > {log:q} 2>&1"
