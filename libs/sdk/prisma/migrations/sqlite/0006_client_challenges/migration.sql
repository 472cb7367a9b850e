-- CreateTable
CREATE TABLE "ClientChallenge" (
    "receiptId" TEXT NOT NULL PRIMARY KEY,
    "deploymentId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "replicaUrl" TEXT NOT NULL,
    "receipt" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "payee" TEXT NOT NULL,
    "authorization" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "bond" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "gatewayVerdict" TEXT,
    "disputeId" TEXT,
    "outcome" TEXT,
    "error" TEXT,
    "leaseOwner" TEXT,
    "leaseUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "ClientChallenge_state_leaseUntil_idx" ON "ClientChallenge"("state", "leaseUntil");
