-- CreateTable
CREATE TABLE "ConsoleSession" (
    "keyMac" TEXT NOT NULL,
    "value" BYTEA NOT NULL,
    "expiresAt" TIMESTAMP(3),

    CONSTRAINT "ConsoleSession_pkey" PRIMARY KEY ("keyMac")
);

-- CreateIndex
CREATE INDEX "ConsoleSession_expiresAt_idx" ON "ConsoleSession"("expiresAt");
