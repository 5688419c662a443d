# glmnet's gaussian lasso path for benchmarks/bench_sparse_small.py (case E).
#
# Rscript glmnet_path.R DATA N P OUTDIR REPEATS THRESH THRESH_REF NLAMBDA
#
# DATA: little-endian float64, X column-major (N x P) followed by y (N). Fits
# glmnet(x, y, alpha = 1, nlambda = NLAMBDA, standardize = FALSE) with glmnet.control(fdev = 0,
# devmax = 1), so that every one of the NLAMBDA lambdas is solved (by default glmnet stops the
# path early once the deviance ratio stops moving), once at THRESH_REF (the reference, untimed)
# and REPEATS times at THRESH after one untimed warm-up call. Only the glmnet() calls are timed
# (Sys.time() around each call: R start-up, data loading and writing are excluded).
# Writes OUTDIR/ref.bin and OUTDIR/timed.bin (float64: L, lambda[L], a0[L], beta[P x L]
# column-major) and OUTDIR/times.txt (one wall time in seconds per repeat).
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(glmnet))
n <- as.integer(args[2]); p <- as.integer(args[3]); out <- args[4]
reps <- as.integer(args[5]); thresh <- as.numeric(args[6]); thresh_ref <- as.numeric(args[7])
nlambda <- as.integer(args[8])
con <- file(args[1], "rb")
v <- readBin(con, "double", n * (p + 1), size = 8, endian = "little")
close(con)
x <- matrix(v[seq_len(n * p)], n, p)
y <- v[n * p + seq_len(n)]
glmnet.control(fdev = 0, devmax = 1)
fit <- function(th) glmnet(x, y, family = "gaussian", alpha = 1, nlambda = nlambda,
                           standardize = FALSE, intercept = TRUE, thresh = th)
dump <- function(f, name) {
  writeBin(c(length(f$lambda), f$lambda, f$a0, as.vector(as.matrix(f$beta))),
           file.path(out, name), size = 8, endian = "little")
}
dump(fit(thresh_ref), "ref.bin")
f <- fit(thresh)  # warm-up
times <- numeric(reps)
for (i in seq_len(reps)) {
  t0 <- Sys.time()
  f <- fit(thresh)
  times[i] <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
}
dump(f, "timed.bin")
writeLines(format(times, digits = 17), file.path(out, "times.txt"))
cat(sprintf("glmnet %s: %d lambdas, best of %d: %.4f s\n", packageVersion("glmnet"),
            length(f$lambda), reps, min(times)))
