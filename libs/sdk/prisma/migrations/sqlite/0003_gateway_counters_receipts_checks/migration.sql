-- CreateTable
CREATE TABLE "GatewayInstance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "GatewayReceipt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "keyId" TEXT,
    "deploymentId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "replicaUrl" TEXT NOT NULL,
    "receipt" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SpotCheck" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "requestId" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "primaryNode" TEXT NOT NULL,
    "primaryNetwork" TEXT NOT NULL,
    "checkNode" TEXT,
    "checkNetwork" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "disputeId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "allowedModels" TEXT NOT NULL DEFAULT '[]',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "rateLimitPerSec" REAL,
    "burst" INTEGER,
    "monthlyQuota" INTEGER,
    "spendCapUsd" REAL,
    "lastUsedAt" DATETIME,
    "quotaMonth" TEXT,
    "quotaUsed" INTEGER NOT NULL DEFAULT 0,
    "spentUsd" REAL NOT NULL DEFAULT 0,
    CONSTRAINT "ApiKey_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ApiKey" ("allowedModels", "burst", "createdAt", "expiresAt", "hash", "id", "lastUsedAt", "monthlyQuota", "name", "prefix", "projectId", "rateLimitPerSec", "revokedAt", "spendCapUsd") SELECT "allowedModels", "burst", "createdAt", "expiresAt", "hash", "id", "lastUsedAt", "monthlyQuota", "name", "prefix", "projectId", "rateLimitPerSec", "revokedAt", "spendCapUsd" FROM "ApiKey";
DROP TABLE "ApiKey";
ALTER TABLE "new_ApiKey" RENAME TO "ApiKey";
CREATE UNIQUE INDEX "ApiKey_prefix_key" ON "ApiKey"("prefix");
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "GatewayInstance_heartbeatAt_idx" ON "GatewayInstance"("heartbeatAt");

-- CreateIndex
CREATE INDEX "GatewayReceipt_keyId_createdAt_idx" ON "GatewayReceipt"("keyId", "createdAt");

-- CreateIndex
CREATE INDEX "SpotCheck_deploymentId_createdAt_idx" ON "SpotCheck"("deploymentId", "createdAt");
