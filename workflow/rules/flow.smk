# Beside stage 5: the gradient (Wilson) flow of gauge ensembles, its scales and the
# autocorrelation of the flowed charge (`flow:` in the config).


rule flow_gauge:
    input:
        lambda w: gauge_ensemble_path(w.ensemble, w.beta, w.split),
    output:
        f"{RESULTS}/flow/{{ensemble}}/beta{{beta}}_{{split}}.csv",
    log:
        f"{RESULTS}/logs/flow/{{ensemble}}/beta{{beta}}_{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/flow/{{ensemble}}/beta{{beta}}_{{split}}.tsv"
    conda:
        ENV
    threads: FLOW["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        t_max=FLOW["t_max"],
        eps=FLOW["eps"],
        every=FLOW["every"],
    shell:
        f"{LATTICEML} gauge flow {{input:q}} --t-max {{params.t_max}} --eps {{params.eps}}"
        " --every {params.every} --threads {threads} --no-progress --force --out {output:q}"
        " > {log:q} 2>&1"


rule flow_summary:
    input:
        flow_tables(),
    output:
        summary=f"{RESULTS}/flow/summary.csv",
        t2e=report(
            f"{RESULTS}/flow/figures/t2e.png",
            caption="../report/flow.rst",
            category="Gradient flow",
            labels={"figure": "t^2 E"},
        ),
        freezing=report(
            f"{RESULTS}/flow/figures/freezing.png",
            caption="../report/flow.rst",
            category="Gradient flow",
            labels={"figure": "autocorrelation"},
        ),
    log:
        f"{RESULTS}/logs/flow/summary.log",
    conda:
        ENV
    threads: 1
    params:
        level=FLOW["level"],
        pool="--pool" if FLOW["pool"] else "--no-pool",
        out=lambda w, output: os.path.dirname(output.t2e),
    shell:
        f"{LATTICEML} results flow {{input:q}} --level {{params.level}} {{params.pool}}"
        " --out {output.summary:q} --out-dir {params.out:q} --force > {log:q} 2>&1"
