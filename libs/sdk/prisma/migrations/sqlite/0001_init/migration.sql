-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "dir" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Model" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "weightsRoot" TEXT NOT NULL,
    "onnxPath" TEXT NOT NULL,
    "activationBits" INTEGER NOT NULL,
    "floatAccuracy" REAL,
    "intAccuracy" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Model_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelRef" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "url" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Artifact_modelRef_fkey" FOREIGN KEY ("modelRef") REFERENCES "Model" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "projectId" TEXT NOT NULL,
    "modelRef" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "plan" TEXT NOT NULL,
    "maxPerHourUsd" REAL NOT NULL,
    "maxTotalUsd" REAL,
    "spentUsd" REAL NOT NULL DEFAULT 0,
    "artifactUrl" TEXT,
    "registrationTx" TEXT,
    "endpoint" TEXT,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "tornDownAt" DATETIME,
    CONSTRAINT "Deployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Deployment_modelRef_fkey" FOREIGN KEY ("modelRef") REFERENCES "Model" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DeploymentEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deploymentId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "DeploymentEvent_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Replica" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deploymentId" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "adapterId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "endpoint" TEXT,
    "pricePerHourUsd" REAL NOT NULL,
    "gpu" TEXT NOT NULL,
    "region" TEXT,
    "provider" TEXT,
    "record" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "healthyAt" DATETIME,
    "tornDownAt" DATETIME,
    CONSTRAINT "Replica_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Quote" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deploymentId" TEXT,
    "network" TEXT NOT NULL,
    "gpu" TEXT NOT NULL,
    "gpuCount" INTEGER NOT NULL,
    "region" TEXT,
    "provider" TEXT,
    "pricePerHourUsd" REAL NOT NULL,
    "available" INTEGER,
    "chosen" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Quote_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "allowedModels" TEXT NOT NULL DEFAULT '[]',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "ApiKey_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Claim" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deploymentId" TEXT,
    "chainId" INTEGER NOT NULL,
    "claimId" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "batchRoot" TEXT NOT NULL,
    "receipts" INTEGER NOT NULL,
    "bondWei" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "txHash" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Claim_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Dispute" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "claimRef" TEXT NOT NULL,
    "gameId" TEXT NOT NULL,
    "challenger" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "outcome" TEXT,
    "slashedWei" TEXT,
    "openedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" DATETIME,
    CONSTRAINT "Dispute_claimRef_fkey" FOREIGN KEY ("claimRef") REFERENCES "Claim" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '{}'
);

-- CreateIndex
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Model_projectId_modelId_key" ON "Model"("projectId", "modelId");

-- CreateIndex
CREATE UNIQUE INDEX "Artifact_digest_key" ON "Artifact"("digest");

-- CreateIndex
CREATE INDEX "Deployment_projectId_state_idx" ON "Deployment"("projectId", "state");

-- CreateIndex
CREATE INDEX "DeploymentEvent_deploymentId_at_idx" ON "DeploymentEvent"("deploymentId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Replica_adapterId_key" ON "Replica"("adapterId");

-- CreateIndex
CREATE INDEX "Replica_deploymentId_state_idx" ON "Replica"("deploymentId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_prefix_key" ON "ApiKey"("prefix");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "Claim_chainId_claimId_key" ON "Claim"("chainId", "claimId");

-- CreateIndex
CREATE UNIQUE INDEX "Dispute_claimRef_gameId_key" ON "Dispute"("claimRef", "gameId");

-- CreateIndex
CREATE INDEX "AuditLog_action_at_idx" ON "AuditLog"("action", "at");
